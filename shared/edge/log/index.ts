export { createLogger, createProcessLoggers, silentLogger, type Logger } from './logger.ts';
