//! Black-box tests of the auth API, with the real users service beside it.
mod helpers;
mod login;
mod register;
mod tokens;
