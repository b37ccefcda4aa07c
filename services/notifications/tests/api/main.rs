//! Notifications consuming real order events from RabbitMQ, with the real
//! users service, and the external e-mail API stubbed by wiremock.
mod consuming;
mod helpers;
