/** The all-in-one's face (`meshray start`): its composition root and its configuration schema. */
export { main, type RunningAllInOne } from './main.ts';
export { allInOneEnvSchema, chooseExportTarget, exportTargetWarning, unusedServiceEnv, type AllInOneConfig, type ExportTarget } from './config.ts';
