/**
 * Compile-time agreement checks between the jsii faces (enums, interfaces jsii needs written out) and the
 * definitions they mirror: `Assert<Same<A, B>>` fails to compile when A and B differ.
 */

/** `true` when A and B are the same type (neither distributes over unions). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compiles only for `true`. */
export type Assert<T extends true> = T;
