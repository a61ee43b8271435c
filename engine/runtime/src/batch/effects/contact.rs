//! A step's changes to the contact: tags added and removed, fields set. Each change that
//! happened fires the workflows listening for it, with the run's chain as their origin.

use super::{chain, World};
use crate::batch::{Batch, Fire, Work};
use serde_json::{Map, Value};
use store::records::Run;

impl Batch<'_> {
    pub(super) fn update_tags(&mut self, run: &Run, world: &mut World, add: &[String], remove: &[String]) {
        let mut changed = Vec::new();
        for tag in add {
            if !world.contact.tags.contains(tag) {
                world.contact.tags.push(tag.clone());
                changed.push((tag.clone(), true));
            }
        }
        for tag in remove {
            if let Some(i) = world.contact.tags.iter().position(|t| t == tag) {
                world.contact.tags.remove(i);
                changed.push((tag.clone(), false));
            }
        }
        if !changed.is_empty() {
            self.cache.put_contact(world.contact.clone());
        }
        for (tag, added) in changed {
            let fire = Fire::TagUpdated { contact_id: run.contact_id, tag, added };
            self.work.push_back(Work::Fire { fire, origin: chain(run) });
        }
    }

    pub(super) fn update_fields(&mut self, run: &Run, world: &mut World, set: &Map<String, Value>) {
        let mut changed = Vec::new();
        for (field, value) in set {
            let old = world.contact.get(field);
            if world.contact.set(field, value.clone()) {
                changed.push((field.clone(), old, value.clone()));
            }
        }
        if !changed.is_empty() {
            self.cache.put_contact(world.contact.clone());
        }
        for (field, old, new) in changed {
            let fire = Fire::FieldUpdated { contact_id: run.contact_id, field, old, new };
            self.work.push_back(Work::Fire { fire, origin: chain(run) });
        }
    }
}
