//! Who is booked on which occurrence: per slot, its items, its assets (with how many of its
//! items touch each) and its high-availability groups. Checks look an item up against the
//! book "without itself", so moving an item never conflicts with its own old place.

use rustc_hash::FxHashMap as HashMap;

use super::PlanAsset;

#[derive(Default, Clone)]
pub(super) struct SlotBook {
    pub items: Vec<usize>,
    /// Items on this slot that the planner was not given (a drop check loads only the items
    /// around its target; elsewhere it needs only how many there are, for item capacity).
    pub unlisted: usize,
    /// asset index → how many items on this slot include it.
    pub assets: HashMap<usize, u32>,
    /// HA group → asset indexes of that group on this slot (with repeats per item).
    pub ha: HashMap<String, Vec<usize>>,
}

#[derive(Default, Clone)]
pub(super) struct Book {
    pub slots: Vec<SlotBook>,
    /// Per item index, its slot index when placed.
    placed: Vec<Option<usize>>,
}

impl Book {
    pub fn new(slots: usize, items: usize) -> Book {
        Book {
            slots: vec![SlotBook::default(); slots],
            placed: vec![None; items],
        }
    }

    /// The slot `item` is on, if any.
    pub fn slot_of(&self, item: usize) -> Option<usize> {
        self.placed[item]
    }

    pub fn place(&mut self, item: usize, slot: usize, item_assets: &[usize], assets: &[PlanAsset]) {
        let b = &mut self.slots[slot];
        b.items.push(item);
        for &a in item_assets {
            *b.assets.entry(a).or_insert(0) += 1;
            if let Some(g) = &assets[a].ha_group {
                b.ha.entry(g.clone()).or_default().push(a);
            }
        }
        self.placed[item] = Some(slot);
    }

    /// Takes `item` off its slot, if it has one.
    pub fn remove(&mut self, item: usize, item_assets: &[usize], assets: &[PlanAsset]) {
        let Some(slot) = self.placed[item].take() else {
            return;
        };
        let b = &mut self.slots[slot];
        b.items.retain(|&i| i != item);
        for &a in item_assets {
            if let Some(n) = b.assets.get_mut(&a) {
                *n -= 1;
                if *n == 0 {
                    b.assets.remove(&a);
                }
            }
            if let Some(g) = &assets[a].ha_group {
                if let Some(members) = b.ha.get_mut(g) {
                    if let Some(k) = members.iter().position(|&m| m == a) {
                        members.swap_remove(k);
                    }
                }
            }
        }
    }

    /// Items on `slot` other than `item`.
    pub fn other_items(&self, slot: usize, item: usize) -> usize {
        let b = &self.slots[slot];
        b.items.len() + b.unlisted - usize::from(self.placed[item] == Some(slot))
    }

    /// Whether `asset` is on `slot` through some item other than `item`.
    pub fn has_asset_besides(
        &self,
        slot: usize,
        asset: usize,
        item: usize,
        item_assets: &[usize],
    ) -> bool {
        let n = self.slots[slot].assets.get(&asset).copied().unwrap_or(0);
        let own =
            u32::from(self.placed[item] == Some(slot) && item_assets.binary_search(&asset).is_ok());
        n > own
    }

    /// Distinct assets on `slot` once `item` (with `item_assets`) is there too.
    pub fn assets_with(&self, slot: usize, item_assets: &[usize]) -> usize {
        let b = &self.slots[slot];
        b.assets.len()
            + item_assets
                .iter()
                .filter(|a| !b.assets.contains_key(a))
                .count()
    }

    /// An asset of `group` other than `asset` on `slot`, not brought by `item` itself.
    pub fn ha_partner(
        &self,
        slot: usize,
        group: &str,
        asset: usize,
        item: usize,
        item_assets: &[usize],
    ) -> Option<usize> {
        let members = self.slots[slot].ha.get(group)?;
        let mine_here = self.placed[item] == Some(slot);
        members.iter().copied().find(|&m| {
            m != asset
                && !(mine_here && item_assets.binary_search(&m).is_ok() && self.only_mine(slot, m))
        })
    }

    /// Whether asset `a` on `slot` is there only through one item (so, when that item is the
    /// one being checked, not really there).
    fn only_mine(&self, slot: usize, a: usize) -> bool {
        self.slots[slot].assets.get(&a).copied().unwrap_or(0) <= 1
    }
}
