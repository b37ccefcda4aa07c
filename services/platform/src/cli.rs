//! The command line of the binaries that take no arguments: the services and
//! the simulators read their configuration from the environment. `--help` and
//! `--version` answer; anything else is refused with clap's usage, status 2.

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser};

/// No arguments at all: only clap's own `--help` and `--version`.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Takes no arguments: configured through environment variables (see docs/ and the compose file)."
)]
pub struct NoArgs {}

/// Parses the process's command line, which must be empty; prints help, the
/// version or the error and exits otherwise. `name` and `about` head the help.
pub fn parse_no_args(name: &'static str, about: &'static str) {
    if let Err(error) = try_parse_no_args_from(name, about, std::env::args_os()) {
        error.exit();
    }
}

/// [`parse_no_args`] on `args` (the program name first), returning clap's
/// error, `--help` and `--version` included, instead of exiting.
pub fn try_parse_no_args_from<I, T>(name: &'static str, about: &'static str, args: I) -> Result<NoArgs, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // Every crate of the workspace takes the workspace's version, so the
    // platform's own is the binary's.
    let mut matches = NoArgs::command().name(name).about(about).try_get_matches_from(args)?;
    NoArgs::from_arg_matches_mut(&mut matches)
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse(args: &[&str]) -> Result<NoArgs, clap::Error> {
        try_parse_no_args_from("auth", "Credentials and tokens.", args)
    }

    #[test]
    fn the_no_arguments_command_is_well_formed() {
        NoArgs::command().debug_assert();
    }

    #[test]
    fn no_arguments_are_accepted_and_help_and_version_answer() {
        assert!(parse(&["auth"]).is_ok());
        assert_eq!(parse(&["auth", "--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse(&["auth", "-h"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse(&["auth", "--version"]).unwrap_err().kind(), ErrorKind::DisplayVersion);
        let help = parse(&["auth", "--help"]).unwrap_err().to_string();
        assert!(help.contains("Credentials and tokens."), "{help}");
    }

    #[test]
    fn a_flag_or_an_argument_is_refused_with_status_2() {
        let error = parse(&["auth", "--port", "80"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), 2);
        assert_eq!(parse(&["auth", "serve"]).unwrap_err().kind(), ErrorKind::UnknownArgument);
    }
}
