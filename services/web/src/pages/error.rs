//! The page shown when a page cannot be shown.

use maud::{Markup, html};

use super::{Frame, page};

pub fn error_page(frame: &Frame<'_>, heading: &str, detail: &str) -> Markup {
    page(
        frame,
        html! {
            h1 { (heading) }
            p class="error" role="alert" { (detail) }
            p { a href="/" { "Back to the shop" } }
        },
    )
}
