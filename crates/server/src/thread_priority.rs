//! Setting the calling thread's scheduling priority: the acceptor runs below the threads
//! serving sessions (its nice value), and a world's tick above them (a better nice value, or
//! real-time scheduling), where the system allows.

use std::io;

/// The calling thread's nice value now.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn this_threads_nice() -> io::Result<i32> {
    // SAFETY: errno is this thread's own; getpriority takes and returns plain integers.
    unsafe { *libc::__errno_location() = 0 };
    let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, this_thread()) };
    // -1 is a valid nice value: only errno tells a failure apart.
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(0) | None => Ok(nice),
        Some(_) => Err(error),
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn this_thread() -> libc::id_t {
    // SAFETY: gettid takes nothing and returns the calling thread's ID.
    let thread = unsafe { libc::gettid() };
    libc::id_t::try_from(thread).unwrap_or_default()
}

/// Sets the calling thread's nice value to `nice` (-20, the highest priority, to 19). Raising
/// the priority needs `CAP_SYS_NICE` (or `RLIMIT_NICE`); lowering it is always allowed.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn set_this_threads_nice(nice: i32) -> io::Result<()> {
    // SAFETY: setpriority takes and returns plain integers and touches no memory.
    let set = unsafe { libc::setpriority(libc::PRIO_PROCESS, this_thread(), nice) };
    if set == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Raises the calling thread's priority by `levels` nice values above what it had (threads it
/// starts afterwards inherit it); returns the nice value it runs at now.
#[cfg(target_os = "linux")]
pub fn raise_this_threads_priority(levels: i32) -> io::Result<i32> {
    let nice = (this_threads_nice()? - levels).max(-20);
    set_this_threads_nice(nice)?;
    Ok(nice)
}

/// Not supported here: the thread keeps its priority.
#[cfg(not(target_os = "linux"))]
pub fn set_this_threads_nice(_nice: i32) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Not supported here: the thread keeps its priority.
#[cfg(not(target_os = "linux"))]
pub fn raise_this_threads_priority(_levels: i32) -> io::Result<i32> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Puts the calling thread under real-time scheduling (`SCHED_FIFO` at priority 1, the
/// lowest: above every thread of ordinary priority, below everything else real-time), so that
/// when it wakes it takes a core at once instead of waiting for the running thread's time
/// slice to end; threads it starts afterwards inherit it. Needs `CAP_SYS_NICE` or an
/// `RLIMIT_RTPRIO` of at least 1. A thread under it must not run for long: nothing of
/// ordinary priority runs on its core meanwhile (the kernel keeps 5 % of each second for
/// them, `sched_rt_runtime_us`).
#[cfg(target_os = "linux")]
pub fn enter_realtime() -> io::Result<()> {
    set_this_threads_policy(libc::SCHED_FIFO, 1)
}

/// Puts the calling thread back under ordinary scheduling, at the nice value it had.
#[cfg(target_os = "linux")]
pub fn leave_realtime() -> io::Result<()> {
    set_this_threads_policy(libc::SCHED_OTHER, 0)
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_this_threads_policy(policy: libc::c_int, priority: libc::c_int) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a valid sched_param for the duration of the call; thread ID 0 is the
    // calling thread.
    let set = unsafe { libc::sched_setscheduler(0, policy, &raw const param) };
    if set == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Not supported here: the thread keeps its scheduling.
#[cfg(not(target_os = "linux"))]
pub fn enter_realtime() -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Not supported here: the thread keeps its scheduling.
#[cfg(not(target_os = "linux"))]
pub fn leave_realtime() -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_may_always_lower_its_own_priority_and_others_keep_theirs() {
        let before = this_threads_nice().expect("readable");
        let lowered = std::thread::spawn(move || {
            set_this_threads_nice((before + 3).min(19)).expect("lowering is allowed");
            this_threads_nice().expect("readable")
        })
        .join()
        .expect("ran");
        assert_eq!(lowered, (before + 3).min(19));
        assert_eq!(this_threads_nice().expect("readable"), before, "per thread");
    }

    /// Whether the calling thread is under real-time scheduling.
    #[allow(unsafe_code)]
    fn is_realtime() -> bool {
        // SAFETY: sched_getscheduler takes a thread ID (0: the caller), touches no memory.
        let policy = unsafe { libc::sched_getscheduler(0) };
        policy == libc::SCHED_FIFO || policy == libc::SCHED_RR
    }

    #[test]
    fn real_time_is_entered_where_allowed_and_left_for_the_nice_value_it_had() {
        std::thread::spawn(|| {
            let nice = this_threads_nice().expect("readable");
            match enter_realtime() {
                Ok(()) => {
                    assert!(is_realtime());
                    leave_realtime().expect("leaving is always allowed");
                }
                // Not allowed here (no CAP_SYS_NICE, no RLIMIT_RTPRIO): nothing changed.
                Err(error) => assert_eq!(error.raw_os_error(), Some(libc::EPERM)),
            }
            assert!(!is_realtime());
            assert_eq!(this_threads_nice().expect("readable"), nice);
        })
        .join()
        .expect("ran");
    }
}
