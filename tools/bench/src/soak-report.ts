import type { SoakArgs } from './soak-args';

export interface Lookup {
  name: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Documents (or the count) each call returned, on average: the work is the same at every size. */
  meanResults: number;
}

export interface SoakCheckpoint {
  messages: number;
  messagesPerGrowingRoom: number;
  lookups: Lookup[];
  /** The same lookups on rooms that stay at a fixed size while the store grows around them. */
  fixedRoomLookups: Lookup[];
  /** What the store takes on disk: the PostgreSQL database, or the SQLite files with their WAL. */
  diskBytes: number;
  /** PostgreSQL: the messages table with its indexes. */
  messagesTableBytes: number | null;
  /** The messages as BSON documents, what MongoDB would store before compression. */
  rawMessageBytes: number;
  diskToRaw: number;
  /** Messages stored per second of filling in the phase that ended here. */
  ingestPerSecond: number;
  /** The machine's 1-minute load average after the lookups: above the core count, something else competed. */
  loadAverage: number;
}

export interface SoakReport {
  kind: 'soak';
  startedAt: string;
  finishedAt: string;
  machine: { cores: number; memoryGB: number; node: string };
  store: { backend: string; location: string; ferretdb: string };
  args: SoakArgs;
  checkpoints: SoakCheckpoint[];
  ingest: {
    windowMessages: number;
    windows: Array<{ atMessages: number; perSecond: number }>;
    earlyPerSecond: number;
    latePerSecond: number;
  };
  targets: {
    /** False when the run stopped before 1M messages: the targets are stated for 1M. */
    complete: boolean;
    lookups: Array<{ name: string; p99FirstMs: number; p99LastMs: number; ratio: number; pass: boolean }>;
    disk: { diskToRaw: number; pass: boolean };
    ingest: { fraction: number; pass: boolean };
  };
}

const mb = (n: number | null) => (n === null ? '–' : `${(n / 1e6).toFixed(1)} MB`);
const yes = (b: boolean) => (b ? 'pass' : '**FAIL**');

export function soakMarkdown(r: SoakReport): string {
  const first = r.checkpoints[0];
  const last = r.checkpoints[r.checkpoints.length - 1];
  const names = first.lookups.map((l) => l.name);
  const lines = [
    `# Store soak, ${r.startedAt.slice(0, 10)}`,
    '',
    `FerretDB ${r.store.ferretdb} on ${r.store.backend} (${r.store.location}), as \`npm start\` runs it; ${r.machine.cores} cores, Node ${r.machine.node}. ` +
      `${r.args.rooms} rooms (${r.args.fixedRooms} of them stop at ${r.args.fixedRoomSize} messages), ${r.args.messageBytes}-byte messages, ` +
      `${r.args.samples} timed calls of each lookup per checkpoint, one at a time.`,
    '',
    `Lookups, p50 / p99 in ms (rooms that grow with the store):`,
    '',
    `| messages | per room | ${names.join(' | ')} | disk | disk / raw | ingest msg/s | load |`,
    `| ---: | ---: | ${names.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: |`,
    ...r.checkpoints.map(
      (c) =>
        `| ${c.messages.toLocaleString('en')} | ${c.messagesPerGrowingRoom} | ${c.lookups.map((l) => `${l.p50Ms} / ${l.p99Ms}`).join(' | ')} | ${mb(c.diskBytes)} | ${c.diskToRaw}x | ${c.ingestPerSecond} | ${c.loadAverage} |`,
    ),
    '',
    `The same lookups on the ${r.args.fixedRooms} rooms that stay at ${r.args.fixedRoomSize} messages while the store grows around them:`,
    '',
    `| messages | ${first.fixedRoomLookups.map((l) => l.name).join(' | ')} |`,
    `| ---: | ${first.fixedRoomLookups.map(() => '---:').join(' | ')} |`,
    ...r.checkpoints.map(
      (c) => `| ${c.messages.toLocaleString('en')} | ${c.fixedRoomLookups.map((l) => `${l.p50Ms} / ${l.p99Ms}`).join(' | ')} |`,
    ),
    '',
    `Targets${r.targets.complete ? '' : ` (stated for 1M messages; this run stopped at ${last.messages.toLocaleString('en')})`}:`,
    '',
    ...r.targets.lookups.map(
      (t) =>
        `- ${t.name}: p99 ${t.p99LastMs} ms at ${last.messages.toLocaleString('en')} vs ${t.p99FirstMs} ms at ${first.messages.toLocaleString('en')}, ${t.ratio}x (≤ 2x): ${yes(t.pass)}`,
    ),
    `- disk: ${mb(last.diskBytes)} for ${mb(last.rawMessageBytes)} of messages as BSON, ${r.targets.disk.diskToRaw}x (≤ 3x): ${yes(r.targets.disk.pass)}` +
      (last.messagesTableBytes !== null ? ` (the messages table with its indexes: ${mb(last.messagesTableBytes)})` : ''),
    `- ingest: ${r.ingest.latePerSecond} msg/s over the last windows vs ${r.ingest.earlyPerSecond} msg/s on the empty store (median of 3 windows of ${r.ingest.windowMessages.toLocaleString('en')}), ${r.targets.ingest.fraction} (≥ 0.8): ${yes(r.targets.ingest.pass)}`,
    '',
  ];
  return lines.join('\n');
}
