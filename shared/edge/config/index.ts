export * from './fragments.ts';
export * from './types.ts';
export { parseConfig, loadConfig, type Config } from './load.ts';
export { chooseExportTarget, exportTargetWarning, type ExportTarget, type ExportTargetSettings } from './export-target.ts';
