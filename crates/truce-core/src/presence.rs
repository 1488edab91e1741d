//! A lock that says "this workspace is open here" and that nothing else in the process can
//! take away.
//!
//! SQLite marks an open WAL database with a read lock on the SHARED bytes of the file, and a
//! connection that closes deletes the write-ahead log when it can take the write lock on
//! those bytes, i.e. when it believes it is the last one. Those are POSIX record locks, and a
//! POSIX lock belongs to the process: closing *any* descriptor of the file in that process
//! drops it (SQLite's "How To Corrupt An SQLite Database File", section 2.2). A desktop
//! process opens files it did not write: GTK's file chooser and recent-files list read a
//! file to guess its type. After that, a `truce` command that closed its connection found
//! nobody else holding the file, checkpointed, and deleted the log the app was still
//! appending to; the app's later commits went into a deleted file and were lost.
//!
//! A presence lock is an open-file-description (OFD) read lock on the same bytes. OFD locks
//! conflict with POSIX locks, so a closing connection elsewhere still cannot get its write
//! lock while we are here, but an OFD lock belongs to our own descriptor and only goes away
//! when we release it. Linux has had OFD locks since 3.15; elsewhere this is a no-op and
//! SQLite's own lock is all there is.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// SQLite's lock bytes (os.h): PENDING_BYTE is 0x40000000, SHARED_FIRST two past it.
const SHARED_FIRST: i64 = 0x4000_0000 + 2;
const SHARED_SIZE: i64 = 510;

/// Held for as long as a workspace is open in this process.
pub struct Presence {
    file: Option<File>,
}

/// What stopped a lock.
pub enum Refused {
    /// Someone else holds a conflicting lock.
    Busy,
    Io(io::Error),
}

impl Presence {
    /// Holds nothing: a placeholder until the real lock is taken.
    pub fn none() -> Presence {
        Presence { file: None }
    }

    /// Marks `path` as open here. Another process's connection may hold the write lock for a
    /// moment while it closes: retried until `timeout`.
    pub fn shared(path: &Path, timeout: Duration) -> Result<Presence, Refused> {
        Presence::take(path, Kind::Read, timeout)
    }

    /// Succeeds only if nobody (no connection, no presence, in any process) has `path`
    /// open, and keeps it that way until dropped: for replacing the file.
    pub fn exclusive(path: &Path, timeout: Duration) -> Result<Presence, Refused> {
        Presence::take(path, Kind::Write, timeout)
    }

    fn take(path: &Path, kind: Kind, timeout: Duration) -> Result<Presence, Refused> {
        let file = match kind {
            Kind::Read => File::open(path),
            Kind::Write => File::options().read(true).write(true).open(path),
        }
        .map_err(Refused::Io)?;
        let deadline = Instant::now() + timeout;
        loop {
            match sys::lock(&file, kind) {
                Ok(()) => return Ok(Presence { file: Some(file) }),
                Err(e) if sys::is_conflict(&e) => {
                    if Instant::now() >= deadline {
                        return Err(Refused::Busy);
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(Refused::Io(e)),
            }
        }
    }

    /// Lets go of the lock but keeps the descriptor: closing it now would drop the POSIX
    /// locks of every other SQLite connection to the file in this process. The descriptor is
    /// closed when the presence is dropped, after the connection it guarded.
    pub fn release(&mut self) {
        if let Some(file) = &self.file {
            let _ = sys::unlock(file);
        }
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.release();
        self.file.take();
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
}

#[cfg(target_os = "linux")]
mod sys {
    use super::{Kind, SHARED_FIRST, SHARED_SIZE};
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;

    fn set(file: &File, l_type: libc::c_short) -> io::Result<()> {
        // SAFETY: a zeroed flock is a valid value; fcntl only reads it, for this descriptor.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = l_type;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        fl.l_start = SHARED_FIRST;
        fl.l_len = SHARED_SIZE;
        // l_pid must be 0 for OFD locks.
        fl.l_pid = 0;
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) };
        if rc == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    pub fn lock(file: &File, kind: Kind) -> io::Result<()> {
        let t = match kind {
            Kind::Read => libc::F_RDLCK,
            Kind::Write => libc::F_WRLCK,
        };
        set(file, t as libc::c_short)
    }

    pub fn unlock(file: &File) -> io::Result<()> {
        set(file, libc::F_UNLCK as libc::c_short)
    }

    pub fn is_conflict(e: &io::Error) -> bool {
        matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES))
    }
}

#[cfg(not(target_os = "linux"))]
mod sys {
    use super::Kind;
    use std::fs::File;
    use std::io;

    pub fn lock(_: &File, _: Kind) -> io::Result<()> {
        Ok(())
    }

    pub fn unlock(_: &File) -> io::Result<()> {
        Ok(())
    }

    pub fn is_conflict(_: &io::Error) -> bool {
        false
    }
}
