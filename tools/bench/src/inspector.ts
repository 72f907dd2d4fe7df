import WebSocket from 'ws';

/**
 * A process's V8 heap in use right after a full collection, read through its inspector (the bench starts
 * the edges with --inspect on loopback): what its sockets keep alive, without the garbage a /metrics
 * reading or the RSS still count. Chrome DevTools Protocol: HeapProfiler.collectGarbage, then
 * Runtime.evaluate of process.memoryUsage().heapUsed.
 */
export async function heapAfterFullGcKB(inspectorUrl: string, timeoutMs = 20_000): Promise<number> {
  const ws = new WebSocket(inspectorUrl);
  const timer = setTimeout(() => ws.terminate(), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('close', () => reject(new Error(`inspector ${inspectorUrl} closed`)));
    });
    let nextId = 1;
    const call = (method: string, params: object = {}) =>
      new Promise<{ result?: { result?: { value?: unknown } } }>((resolve, reject) => {
        const id = nextId++;
        const onMessage = (data: WebSocket.RawData) => {
          const msg = JSON.parse(
            (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString(),
          ) as { id?: number; error?: { message: string }; result?: { result?: { value?: unknown } } };
          if (msg.id !== id) return;
          ws.off('message', onMessage);
          if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
          else resolve(msg);
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ id, method, params }));
      });
    // twice: the first collection can leave objects that only its finalizers released
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const r = await call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    const bytes = Number(r.result?.result?.value);
    if (!Number.isFinite(bytes)) throw new Error('inspector returned no heap figure');
    return bytes / 1024;
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
