import pino, { type Logger } from 'pino';

export interface LogSettings {
  level: string;
  /** Human-readable lines for a terminal; JSON lines for everything that ships logs. */
  pretty: boolean;
}

/** pino-pretty is a development dependency: a production install has none, and logs JSON whatever LOG_FORMAT says. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger({ level, pretty }: LogSettings, name: string): Logger {
  const prettyLines = pretty && prettyAvailable();
  const log = pino({
    level,
    name,
    redact: { paths: ['req.headers.authorization', 'apiKey', '*.apiKey', 'apiKeys'], censor: '[redacted]' },
    ...(prettyLines ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
  if (pretty && !prettyLines) log.warn('LOG_FORMAT=pretty needs pino-pretty, a development dependency not installed here: logging JSON');
  return log;
}
