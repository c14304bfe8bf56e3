//! The admin page's list of every project on the server, with a search by name.

use leptos::prelude::*;

use super::{ListSearch, Listing, Pager};
use crate::admin::{AdminProject, Page};
use crate::pages::shared::{counted, day, ListTable, Panel, WhenLoaded};

#[component]
pub fn Projects(projects: Listing<AdminProject>) -> impl IntoView {
    let Listing { search, page, .. } = projects;
    view! {
        <Panel id="projects" title="Projects">
            <ListSearch list="projects" other="users" search id="project-search" label="Search projects" placeholder="Project name" />
            <WhenLoaded data=page children={move |page: Page<AdminProject>| if page.items.is_empty() {
                view! { <p>"No projects match."</p> }.into_any()
            } else {
                view! {
                    <p class="hint" id="project-count">{counted(page.total.unwrap_or_default(), "project", "projects")}</p>
                    <ProjectTable projects=page.items />
                    <Pager listing=projects next=page.next />
                }.into_any()
            }} />
        </Panel>
    }
}

#[component]
fn ProjectTable(projects: Vec<AdminProject>) -> impl IntoView {
    view! {
        <ListTable caption="Projects" columns=&["Name", "Visibility", "Updated"]>
            {projects.into_iter().map(|project| view! {
                <tr data-project-id=project.id.clone() data-project-name=project.name.clone()>
                    <th scope="row"><a href=format!("/projects/{}", project.id)>{project.name.clone()}</a></th>
                    <td>{if project.public { "public" } else { "private" }}</td>
                    <td>{day(&project.updated)}</td>
                </tr>
            }).collect_view()}
        </ListTable>
    }
}
