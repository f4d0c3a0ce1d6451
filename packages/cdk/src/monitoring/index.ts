/**
 * The dashboard and the alarms, as data: which widgets, which metrics (by key of ../definitions/metrics), which statistics,
 * which thresholds. src/constructs/monitoring.ts renders them as a CloudWatch dashboard and alarms for the
 * configured applications; the local stack draws the same widgets from the metrics a local run emitted; a test
 * checks that every metric referenced here is emitted under the same name and dimensions, and the reverse.
 *
 * Vault metrics are drawn for every configured application (the Application dimension). Their other dimensions
 * (Trigger, Result, ErrorCode, Reason) are open sets (provider error codes), so a split series draws every value
 * seen (a CloudWatch SEARCH expression) instead of listing them; alarms, which cannot search, name fixed values.
 */
export * from './types';
export * from './constants';
export * from './widgets';
export * from './alarms';
export * from './checks';
