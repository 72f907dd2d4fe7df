export interface BenchArgs {
  quick: boolean;
  /** Edge base URLs; empty: start a local stack. */
  urls: string[];
  namespace: string;
  /** gRPC address of any service implementing proto/auth.proto. */
  auth: string;
  sockets: number;
  rates: number[];
  warmupS: number;
  /** Seconds to wait after connecting the sockets before the first step. */
  settleS: number;
  durationS: number;
  p99BoundMs: number;
  offlineK: number;
  /** Edges the local stack runs, and how many of them the users connect to (the rest only idle). */
  edges: number;
  busyEdges: number;
  messageBytes: number;
  /** Share of the sockets (0-1) that keep typing during the steps (a start a second, a stop every fifth). */
  typingShare: number;
  out: string;
}

const FULL_RATES = [50, 100, 200, 400, 600, 800, 1000, 1200, 1600, 2000, 2500, 3200, 5000, 8000];
const QUICK_RATES = [100, 300, 1000];

function share(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error('--typing-share must be a number from 0 to 1');
  return n;
}

export function parseArgs(argv: string[]): BenchArgs {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const num = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  return {
    quick,
    urls: (get('url') ?? '').split(',').filter(Boolean),
    namespace: get('namespace') ?? '/chat',
    auth: get('auth') ?? '',
    sockets: num('sockets', quick ? 200 : 1000),
    rates: (get('rates') ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number)
      .filter((n) => n > 0).length
      ? (get('rates') as string).split(',').map(Number)
      : quick
        ? QUICK_RATES
        : FULL_RATES,
    warmupS: num('warmup', quick ? 1 : 3),
    settleS: num('settle', quick ? 2 : 15),
    durationS: num('duration', quick ? 3 : 10),
    p99BoundMs: num('p99-bound', 250),
    offlineK: num('offline', quick ? 500 : 3000),
    edges: num('edges', 2),
    busyEdges: Math.min(num('busy-edges', num('edges', 2)), num('edges', 2)),
    messageBytes: num('size', 150),
    typingShare: share(get('typing-share')),
    out: get('out') ?? 'bench/results',
  };
}
