export { MemoryBus } from './memory-bus.ts';
