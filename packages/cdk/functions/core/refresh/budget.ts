/** The time model of a refresh: defined with the shared definitions (src/definitions/budget.ts), which the construct checks at synthesis too. */
export * from '../../../src/definitions/budget';
