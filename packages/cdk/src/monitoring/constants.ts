/** The period of every widget and alarm, in seconds. */
export const PERIOD_SECONDS = 300;
