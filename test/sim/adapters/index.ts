/** The cores the simulation can drive, by name (`npm run simulate -- --adapter NAME`). */
import { currentAdapter } from './current';

export const adapters = { current: currentAdapter } as const;
