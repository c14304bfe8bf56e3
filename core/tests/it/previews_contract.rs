//! What preview requests may queue, on a whole `Core` with the embedded backends (SQLite) and
//! the production ones (PostgreSQL and Redis): anonymous callers are held to a number of
//! unfinished previews per project and to a rate per address; signed-in callers are not; a
//! preview already queued or drawn is never queued again, and costs an anonymous caller nothing.

use fleck_core::auth::Actor;
use fleck_core::authz::Visibility;
use fleck_core::previews::{self, PreviewImage, Requester, ANONYMOUS_UNFINISHED_PER_PROJECT};
use fleck_core::{Core, Error};

use crate::support::{queued_jobs, service_project, verified_user};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_core, postgres => crate::support::postgres_core],
    contracts: [
        previews_anonymous_requests_queue_a_bounded_number_per_project,
        previews_anonymous_requests_are_rate_limited_per_address,
    ],
}

/// A public project of a new user's.
async fn public_project(core: &Core) -> String {
    let actor = Actor::from_session(verified_user(core, "Ada").await);
    service_project(core, &actor, "Public", Visibility::Public).await
}

/// Preview jobs waiting in the queue.
async fn queued_previews(core: &Core) -> i64 {
    queued_jobs(core, previews::PREVIEW_JOB).await
}

fn object(n: usize) -> String {
    format!("{n:032x}")
}

async fn previews_anonymous_requests_queue_a_bounded_number_per_project(core: Core) {
    let project = public_project(&core).await;
    let limit = ANONYMOUS_UNFINISHED_PER_PROJECT as usize;
    // Every object of a public project, each from another address.
    for n in 0..limit + 5 {
        let address = format!("198.51.100.{n}");
        let anonymous = Requester::Anonymous { address: &address };
        let image = previews::image_for(&core, anonymous, &project, &object(n), "0")
            .await
            .unwrap();
        assert_eq!(image, PreviewImage::Pending);
    }
    assert_eq!(queued_previews(&core).await, limit as i64);
    for n in 0..limit + 5 {
        let recorded = core
            .database()
            .previews
            .preview(&project, &object(n))
            .await
            .unwrap();
        assert_eq!(recorded.is_some(), n < limit, "object {n}");
    }
    // Asking again for one already queued queues nothing more.
    let again = Requester::Anonymous {
        address: "203.0.113.9",
    };
    previews::image_for(&core, again, &project, &object(0), "0")
        .await
        .unwrap();
    assert_eq!(queued_previews(&core).await, limit as i64);
    // Members (and new versions) are not held to it.
    let member = previews::image_for(&core, Requester::SignedIn, &project, &object(99), "0")
        .await
        .unwrap();
    assert_eq!(member, PreviewImage::Pending);
    assert_eq!(queued_previews(&core).await, limit as i64 + 1);
}

async fn previews_anonymous_requests_are_rate_limited_per_address(core: Core) {
    let project = public_project(&core).await;
    let address = "192.0.2.7";
    let anonymous = Requester::Anonymous { address };
    let mut refused = None;
    // Speckle-style regular and burst allowances: 10 a minute, then 100 an hour.
    for n in 0..200 {
        match previews::image_for(&core, anonymous, &project, &object(n), "0").await {
            Ok(image) => assert_eq!(image, PreviewImage::Pending),
            Err(Error::RateLimited { .. }) => {
                refused = Some(n);
                break;
            }
            Err(e) => panic!("request {n}: {e}"),
        }
    }
    assert_eq!(
        refused,
        Some(110),
        "refused after the regular and burst points"
    );
    // A preview already queued costs nothing: the limited address still gets its picture.
    let queued = previews::image_for(&core, anonymous, &project, &object(0), "0")
        .await
        .unwrap();
    assert_eq!(queued, PreviewImage::Pending);
    // Another address is counted apart.
    let other = Requester::Anonymous {
        address: "192.0.2.8",
    };
    assert!(
        previews::image_for(&core, other, &project, &object(500), "0")
            .await
            .is_ok()
    );
}
