//! login-io: the IO driver for AWS console-credentials login (work in progress).
