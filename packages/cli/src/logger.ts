/**
 * winston loggers, one per component; JSON lines when stderr is not a terminal (docs/operations.md §10).
 * winston is loaded on the first log line, so short commands do not pay for it at startup.
 */
import type { Logger as WinstonLogger } from 'winston';
import type { Logger } from '@dkeyserv/db';

let root: WinstonLogger | undefined;

function rootLogger(): WinstonLogger {
  if (!root) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const winston = require('winston') as typeof import('winston');
    root = winston.createLogger({
      level: process.env.DKEYSERV_LOG_LEVEL ?? 'info',
      format: process.stderr.isTTY
        ? winston.format.combine(winston.format.timestamp(), winston.format.colorize(), winston.format.simple())
        : winston.format.combine(winston.format.timestamp(), winston.format.json()),
      transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
    });
  }
  return root;
}

const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

/** A logger for one component; nothing is loaded until a line at or above the level is logged. */
export function logger(component: string): Logger {
  const threshold = LEVELS[process.env.DKEYSERV_LOG_LEVEL ?? 'info'] ?? 2;
  let child: WinstonLogger | undefined;
  const log = (level: keyof Logger) => (message: string, meta?: Record<string, unknown>) => {
    if ((LEVELS[level] ?? 0) > threshold) return;
    child ??= rootLogger().child({ component });
    child[level](message, meta);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
