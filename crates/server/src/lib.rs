//! The mmo server library: `run(listener, config, shutdown)` serves WebSocket clients until
//! `shutdown` resolves, then closes every connection gracefully.
