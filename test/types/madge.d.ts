// madge ships no types; the architecture test uses only madge(paths, options) with obj() and circular()
declare module 'madge' {
  function madge(
    paths: string | string[],
    options?: Record<string, unknown>,
  ): Promise<{ obj(): Record<string, string[]>; circular(): string[][] }>;
  export default madge;
}
