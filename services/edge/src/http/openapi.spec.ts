import { buildHttpApp, type HttpDeps } from './app';
import { buildOpenApi, ROUTES } from './openapi';

const silent = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as HttpDeps['log'];

describe('OpenAPI document', () => {
  // the use cases are never called: only the route table is read
  const app = buildHttpApp({ log: silent } as unknown as HttpDeps);
  const registered = new Set<string>(app.locals.routes as string[]);
  const doc = buildOpenApi() as { paths: Record<string, Record<string, unknown>> };
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    ),
  );

  it('documents every Express route', () => {
    expect([...registered].filter((r) => !documented.has(r))).toEqual([]);
  });
  it('has every documented route registered', () => {
    expect([...documented].filter((r) => !registered.has(r))).toEqual([]);
    expect(registered.size).toBe(ROUTES.length);
  });
  it('describes request bodies and ids from the DTOs', () => {
    const send = doc.paths['/chat/messages'].post as { requestBody: { content: { 'application/json': { schema: { $ref: string } } } } };
    expect(send.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/RestSendMessageDto');
    const schemas = (
      buildOpenApi() as {
        components: { schemas: Record<string, { properties: Record<string, { pattern?: string; maxLength?: number }> }> };
      }
    ).components.schemas;
    expect(schemas.RestSendMessageDto.properties.roomId.pattern).toBeDefined();
    expect(schemas.RestSendMessageDto.properties.content.maxLength).toBe(4000);
  });
});
