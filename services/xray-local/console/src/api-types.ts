/**
 * The JSON the console reads from xray-local's X-Ray API: the very types the server answers with
 * (type-only imports, erased by the bundler, so the browser bundle carries none of the server code).
 */
export type { Service, Edge } from '../../graph/build-service-graph.ts';
export type { HistogramEntry, SummaryStatistics } from '../../graph/graph-statistics.ts';
export type { TraceSummary } from '../../summary/summarize-trace.ts';
export type { GetServiceGraphResult } from '../../api/get-service-graph.ts';
export type { GetTraceSummariesResult } from '../../api/get-trace-summaries.ts';
export type { BatchGetTracesResult, Trace } from '../../api/batch-get-traces.ts';
export type { SegmentDocument, AnnotationValue } from '../../../../shared/core/xray/segment-document.ts';
