//! The admin page's list of every project on the server, with a search by name.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::Pager;
use crate::admin::{admin_projects, AdminProject, Page};
use crate::pages::auth::error_text;
use crate::pages::shared::{counted, day, Fetched};

/// The page of projects the address asks for: `?projects=<search>&projects_from=<offset>`.
#[derive(Clone, Copy)]
pub struct ProjectList {
    search: Memo<Option<String>>,
    from: Memo<Option<i64>>,
    page: Fetched<Page<AdminProject>>,
}

pub fn list() -> ProjectList {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("projects"));
    let from = Memo::new(move |_| {
        query
            .read()
            .get("projects_from")
            .and_then(|f| f.parse::<i64>().ok())
    });
    let page = Resource::new(
        move || (search.get(), from.get()),
        |(search, from)| admin_projects(search, from),
    );
    ProjectList { search, from, page }
}

#[component]
pub fn Projects(projects: ProjectList) -> impl IntoView {
    let query = use_query_map();
    let ProjectList { search, from, page } = projects;
    view! {
        <section class="panel" id="projects" aria-labelledby="projects-heading">
            <h2 id="projects-heading">"Projects"</h2>
            <Form method="GET" action="/admin" attr:role="search">
                <label for="project-search">"Search projects"</label>
                <div class="search">
                    <input id="project-search" type="search" name="projects" placeholder="Project name" value=move || search.get().unwrap_or_default() />
                    <input type="hidden" name="users" value=move || query.read().get("users").unwrap_or_default() />
                    <button class="button small" type="submit">"Search"</button>
                </div>
            </Form>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                        Ok(page) if page.items.is_empty() => view! { <p>"No projects match."</p> }.into_any(),
                        Ok(page) => view! {
                            <p class="hint" id="project-count">{counted(page.total.unwrap_or_default(), "project", "projects")}</p>
                            <ProjectTable projects=page.items />
                            <Pager list="projects" search=search.get_untracked() from=from.get_untracked() next=page.next />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProjectTable(projects: Vec<AdminProject>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="list">
                <caption class="visually-hidden">"Projects"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Visibility"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    {projects.into_iter().map(|project| view! {
                        <tr data-project-id=project.id.clone() data-project-name=project.name.clone()>
                            <th scope="row"><a href=format!("/projects/{}", project.id)>{project.name.clone()}</a></th>
                            <td>{if project.public { "public" } else { "private" }}</td>
                            <td>{day(&project.updated)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
