import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout, one line per event, with the service name and instance on every line. */
export function createLogger(service: string, opts: { level: string; instance: string }): Logger {
  return pino({
    level: opts.level,
    base: { service, instance: opts.instance },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'token', '*.token', 'access_token'], remove: true },
  });
}
