/**
 * Time constants of the time model, shared by the functions (functions/core/time) and the construct, which checks
 * the tunables against the function timeouts at synthesis.
 */

/**
 * Largest difference assumed between two containers' clocks (Lambda hosts keep NTP time within milliseconds).
 * Wherever times written by different containers are compared (lease expiry, the revoke that ends flows), the
 * comparison leaves this much room.
 */
export const CLOCK_SKEW_MS = 1000;

/** Kept back from the function's remaining time to shape and return the answer. */
export const ANSWER_RESERVE_MS = 300;
