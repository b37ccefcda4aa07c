//! What every page shares: the head, the header with the search form, the
//! visitor's links (cart, log in or out), the footer with the link to this
//! request's trace.

use maud::{DOCTYPE, Markup, html};

/// The per-request parts of the frame around a page's content.
pub struct Frame<'a> {
    pub title: &'a str,
    /// What the search box shows (the current search).
    pub search: Option<&'a str>,
    /// This request's trace in Jaeger, when it is sampled.
    pub trace_url: Option<String>,
    pub signed_in: bool,
    pub cart_units: u32,
    /// This browser's CSRF token, for the forms of the page.
    pub csrf: String,
    /// A page that follows something in progress reloads itself this often
    /// (an order's saga, the control room) while its "Follow live" box is
    /// ticked (`assets/live.js`); never a `<meta http-equiv="refresh">`,
    /// which no one could pause.
    pub refresh_secs: Option<u32>,
}

pub fn page(frame: &Frame<'_>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · Testbed shop" }
                link rel="stylesheet" href="/static/shop.css";
                script src="/static/trace.js" defer {}
                @if frame.refresh_secs.is_some() { script src="/static/live.js" defer {} }
            }
            body {
                a class="skip" href="#content" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { "Testbed shop" }
                    form class="search" role="search" method="get" action="/" {
                        label for="q" { "Search products" }
                        input id="q" name="q" type="search" maxlength="100" value=[frame.search];
                        button type="submit" { "Search" }
                    }
                    nav class="account" aria-label="Account" {
                        a href="/cart" { "Cart (" (frame.cart_units) ")" }
                        @if frame.signed_in {
                            a href="/notifications" { "Notifications" }
                            form method="post" action="/logout" {
                                (csrf_field(&frame.csrf))
                                button type="submit" class="link" { "Log out" }
                            }
                        } @else {
                            a href="/login" { "Log in" }
                            a href="/signup" { "Sign up" }
                        }
                    }
                }
                main id="content" tabindex="-1" {
                    @if let Some(secs) = frame.refresh_secs {
                        div class="live" {
                            input type="checkbox" id="follow-live" data-every=(secs) checked;
                            label for="follow-live" { "Follow live (reloads every " (secs) " s)" }
                            " · "
                            a href="" { "Refresh now" }
                        }
                    }
                    (content)
                }
                footer {
                    @if let Some(url) = &frame.trace_url {
                        a class="trace" href=(url) rel="nofollow" { "trace of this page" }
                    } @else {
                        span class="trace" { "this page was not traced" }
                    }
                }
            }
        }
    }
}

/// The hidden field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A message about the last action, announced to screen readers.
pub fn notice(message: Option<&str>) -> Markup {
    html! { @if let Some(message) = message { p class="error" role="alert" { (message) } } }
}
