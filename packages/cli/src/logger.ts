/** winston loggers, one per component; JSON lines when stderr is not a terminal (DESIGN.md §3). */
import winston from 'winston';

const level = process.env.DKEYSERV_LOG_LEVEL ?? 'info';

const root = winston.createLogger({
  level,
  format: process.stderr.isTTY
    ? winston.format.combine(winston.format.timestamp(), winston.format.colorize(), winston.format.simple())
    : winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
});

export function logger(component: string): winston.Logger {
  return root.child({ component });
}
