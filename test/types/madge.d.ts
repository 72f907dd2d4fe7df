// madge ships no types; the architecture test uses only madge(paths, options).circular()
declare module 'madge' {
  function madge(paths: string | string[], options?: Record<string, unknown>): Promise<{ circular(): string[][] }>;
  export default madge;
}
