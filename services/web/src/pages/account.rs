//! Sign up and log in: plain forms, their errors said next to them.

use maud::{Markup, html};

use super::{csrf_field, notice};

/// What a form showed, to fill it again after a refusal (never the password).
#[derive(Default)]
pub struct Filled<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub problem: Option<&'a str>,
}

pub fn signup(csrf: &str, filled: &Filled<'_>) -> Markup {
    html! {
        h1 { "Sign up" }
        (notice(filled.problem))
        form class="stacked" method="post" action="/signup" {
            (csrf_field(csrf))
            label for="email" { "E-mail address" }
            input id="email" name="email" type="email" autocomplete="email" required value=(filled.email);
            label for="display_name" { "Your name" }
            input id="display_name" name="display_name" type="text" autocomplete="name" required maxlength="100"
                value=(filled.display_name);
            label for="password" { "Password (at least 12 characters)" }
            input id="password" name="password" type="password" autocomplete="new-password" required minlength="12";
            button type="submit" { "Create the account" }
        }
        p { "Already have one? " a href="/login" { "Log in" } }
    }
}

pub fn login(csrf: &str, filled: &Filled<'_>) -> Markup {
    html! {
        h1 { "Log in" }
        (notice(filled.problem))
        form class="stacked" method="post" action="/login" {
            (csrf_field(csrf))
            label for="email" { "E-mail address" }
            input id="email" name="email" type="email" autocomplete="email" required value=(filled.email);
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button type="submit" { "Log in" }
        }
        p { "New here? " a href="/signup" { "Sign up" } }
    }
}
