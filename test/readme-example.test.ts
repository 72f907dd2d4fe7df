import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { newUserId, TestStack } from './support/harness';

const EXAMPLE = join(__dirname, '..', 'examples', 'chat.js');

function run(token: string, peer: string, url: string): { child: ChildProcess; out: string[] } {
  const child = spawn(process.execPath, [EXAMPLE, token, peer, url], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(...b.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (b: Buffer) => out.push(...b.toString().split('\n').filter(Boolean)));
  return { child, out };
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The README's terminal client, run as two terminals would run it, on two different edges. */
describe('README chat example', () => {
  const t = new TestStack();
  beforeAll(() => t.start(), 120_000);
  afterAll(() => t.stop(), 60_000);

  it('chats between two terminals', async () => {
    const a = newUserId();
    const b = newUserId();
    const alice = run(await t.token(a), b, t.edge(0));
    const bob = run(await t.token(b), a, t.edge(1));
    try {
      await until(() => alice.out.some((l) => l.startsWith('joined')) && bob.out.some((l) => l.startsWith('joined')), 'both joined');
      alice.child.stdin!.write('hi bob\n');
      await until(() => bob.out.includes('< hi bob'), 'bob sees the message');
      bob.child.stdin!.write('hi alice\n');
      await until(() => alice.out.includes('< hi alice'), 'alice sees the reply');
    } finally {
      alice.child.kill();
      bob.child.kill();
    }
  });
});
