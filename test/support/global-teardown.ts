export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as { __infra?: { stop: () => Promise<void> } }).__infra;
  await infra?.stop();
}
