export interface SoakArgs {
  /** Messages to fill the store with. */
  messages: number;
  rooms: number;
  /** Of the rooms, how many stop growing at `fixedRoomSize` messages (filled first). */
  fixedRooms: number;
  fixedRoomSize: number;
  /** Timed calls of each lookup at each checkpoint. */
  samples: number;
  /** Content bytes of each message. */
  messageBytes: number;
  backend: 'auto' | 'postgresql' | 'sqlite';
  /** Store sizes (messages) at which the lookups are measured. */
  checkpoints: number[];
  /** The search scan's bound on FerretDB (the edge's SEARCH_SCAN_LIMIT). */
  searchScan: number;
  out: string;
}

export function parseSoakArgs(argv: string[]): SoakArgs {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number`);
    return n;
  };
  const messages = num('soak-messages', 1_000_000);
  const rooms = num('soak-rooms', 1000);
  const fixedRooms = Math.min(num('soak-fixed-rooms', 20), Math.floor(rooms / 2));
  const fixedRoomSize = num('soak-fixed-room-size', 50);
  const backend = (get('soak-backend') ?? process.env.FERRETDB_BACKEND ?? 'auto') as SoakArgs['backend'];
  if (!['auto', 'postgresql', 'sqlite'].includes(backend)) throw new Error('--soak-backend must be auto, postgresql or sqlite');
  const given = get('soak-checkpoints');
  const checkpoints = (given ? given.split(',').map((s) => Number(s.replace(/_/g, ''))) : [10_000, 100_000, 1_000_000]).filter(
    (n) => n > 0 && n <= messages,
  );
  if (!checkpoints.includes(messages)) checkpoints.push(messages);
  checkpoints.sort((a, b) => a - b);
  if (fixedRooms * fixedRoomSize >= checkpoints[0])
    throw new Error(
      `the fixed rooms (${fixedRooms} x ${fixedRoomSize}) must hold fewer messages than the first checkpoint (${checkpoints[0]})`,
    );
  return {
    messages,
    rooms,
    fixedRooms,
    fixedRoomSize,
    samples: num('soak-samples', 200),
    messageBytes: num('size', 150),
    backend,
    checkpoints,
    searchScan: num('soak-search-scan', 2000),
    out: get('out') ?? 'bench/results',
  };
}
