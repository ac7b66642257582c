//! Learning-rate schedules and early stopping: per-epoch rules applied by the training loop.
//! Burn has step, exponential, cosine and warm-up schedulers but not reduce-on-plateau, and its
//! schedulers step per iteration; kiln's users think in epochs, so the rules live here.

use serde::{Deserialize, Serialize};

/// The `[train.schedule]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// `constant`, `step`, `exponential`, `cosine` or `plateau`.
    #[serde(default)]
    pub kind: ScheduleKind,
    /// Epochs of linear warm-up from lr / warmup_epochs to lr, before the schedule starts.
    #[serde(default)]
    pub warmup_epochs: usize,
    /// `step`: epochs between decays.
    #[serde(default = "default_step_size")]
    pub step_size: usize,
    /// `step` and `exponential`: the decay factor (default 0.1 for step, 0.95 for exponential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    /// `plateau`: the factor applied when the loss stalls.
    #[serde(default = "default_factor")]
    pub factor: f64,
    /// `plateau`: epochs without improvement before the rate drops.
    #[serde(default = "default_patience")]
    pub patience: usize,
    /// The floor: `cosine` decays towards it (its last epoch is one step above, as in PyTorch's
    /// `CosineAnnealingLR` with `T_max` the epochs after warm-up) and `plateau` never goes
    /// below it.
    #[serde(default)]
    pub min_lr: f64,
}

fn default_step_size() -> usize {
    10
}
fn default_factor() -> f64 {
    0.1
}
fn default_patience() -> usize {
    10
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            kind: ScheduleKind::default(),
            warmup_epochs: 0,
            step_size: default_step_size(),
            gamma: None,
            factor: default_factor(),
            patience: default_patience(),
            min_lr: 0.0,
        }
    }
}

/// A schedule's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// The same rate every epoch.
    #[default]
    Constant,
    /// Multiply by `gamma` every `step_size` epochs.
    Step,
    /// Multiply by `gamma` every epoch.
    Exponential,
    /// Half a cosine from `lr` towards `min_lr` over the epochs after warm-up.
    Cosine,
    /// Multiply by `factor` when the monitored loss has not improved for `patience` epochs.
    Plateau,
}

impl ScheduleConfig {
    /// Range checks; `Err((key, reason))` names the key under `[train.schedule]`.
    pub fn check(&self, lr: f64) -> Result<(), (&'static str, String)> {
        if let Some(g) = self.gamma
            && !(g.is_finite() && g > 0.0 && g <= 1.0)
        {
            return Err(("gamma", format!("expected a factor in (0, 1], found {g}")));
        }
        if !(self.factor.is_finite() && self.factor > 0.0 && self.factor < 1.0) {
            return Err((
                "factor",
                format!("expected a factor in (0, 1), found {}", self.factor),
            ));
        }
        for (key, value) in [("step_size", self.step_size), ("patience", self.patience)] {
            if value == 0 {
                return Err((key, "expected at least 1, found 0".into()));
            }
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_lr < lr) {
            return Err((
                "min_lr",
                format!("expected 0 ≤ min_lr < lr = {lr}, found {}", self.min_lr),
            ));
        }
        Ok(())
    }
}

/// The learning rate, epoch by epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LrSchedule {
    config: ScheduleConfig,
    base: f64,
    epochs: usize,
    plateau_lr: f64,
    /// `None` until the first loss is seen (JSON has no infinity for a checkpoint to hold).
    best: Option<f64>,
    stalled: usize,
}

impl LrSchedule {
    /// A schedule for `epochs` epochs starting from `base`.
    pub fn new(config: &ScheduleConfig, base: f64, epochs: usize) -> Self {
        Self {
            config: config.clone(),
            base,
            epochs,
            plateau_lr: base,
            best: None,
            stalled: 0,
        }
    }

    /// A resumed run may train for more epochs than the checkpointed one planned.
    pub fn extend_to(&mut self, epochs: usize) {
        self.epochs = epochs;
    }

    /// Scales the schedule to start from `base` instead (a resume with another
    /// train.optimizer.lr): every later rate, a plateau's reductions so far included, by the
    /// same factor, a plateau's no lower than its `min_lr`. The same base changes nothing, so
    /// an unchanged resume stays exact.
    pub fn rebase(&mut self, base: f64) {
        if base != self.base {
            self.plateau_lr = (self.plateau_lr * base / self.base).max(self.config.min_lr);
            self.base = base;
        }
    }

    /// The rate for 1-based `epoch`.
    pub fn lr(&self, epoch: usize) -> f64 {
        let c = &self.config;
        let warm = c.warmup_epochs;
        if epoch <= warm {
            return self.base * epoch as f64 / warm as f64;
        }
        let t = (epoch - 1 - warm) as f64;
        match c.kind {
            ScheduleKind::Constant => self.base,
            ScheduleKind::Step => {
                self.base
                    * c.gamma
                        .unwrap_or(0.1)
                        .powf((t / c.step_size as f64).floor())
            }
            ScheduleKind::Exponential => self.base * c.gamma.unwrap_or(0.95).powf(t),
            ScheduleKind::Cosine => {
                let span = (self.epochs.saturating_sub(warm)).max(1) as f64;
                c.min_lr
                    + (self.base - c.min_lr) * (1.0 + (std::f64::consts::PI * t / span).cos()) / 2.0
            }
            ScheduleKind::Plateau => self.plateau_lr,
        }
    }

    /// Whether an epoch's rate depends on the losses of the epochs before it (a plateau
    /// schedule): the loop must then read each epoch's losses before it starts the next.
    pub fn follows_losses(&self) -> bool {
        self.config.kind == ScheduleKind::Plateau
    }

    /// Tells a plateau schedule the monitored loss of 1-based `epoch`. Warm-up epochs are not
    /// counted: the schedule starts after them (a loss that stalls while the rate is still
    /// rising would otherwise cut the full rate before it was ever used).
    pub fn observe(&mut self, epoch: usize, loss: f64) {
        if !self.follows_losses() || epoch <= self.config.warmup_epochs {
            return;
        }
        // Improvement means a relative drop of more than 1e-4, as PyTorch's default threshold.
        if self.best.is_none_or(|best| loss < best * (1.0 - 1e-4)) {
            self.best = Some(loss);
            self.stalled = 0;
        } else {
            self.stalled += 1;
            if self.stalled >= self.config.patience {
                self.plateau_lr = (self.plateau_lr * self.config.factor).max(self.config.min_lr);
                self.stalled = 0;
            }
        }
    }
}

/// `[train.early_stopping]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStoppingConfig {
    /// `valid_loss` (needs a validation split) or `train_loss`.
    #[serde(default)]
    pub metric: Monitored,
    /// Epochs without improvement before training stops.
    #[serde(default = "default_patience")]
    pub patience: usize,
    /// How much lower than the best a loss must be to count as an improvement.
    #[serde(default)]
    pub min_delta: f64,
    /// Return the weights of the best epoch rather than the last.
    #[serde(default = "default_true")]
    pub restore_best: bool,
}

fn default_true() -> bool {
    true
}

/// The loss early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitored {
    /// The validation split's loss.
    #[default]
    ValidLoss,
    /// The training loss.
    TrainLoss,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(kind: ScheduleKind, f: impl FnOnce(&mut ScheduleConfig)) -> LrSchedule {
        let mut c = ScheduleConfig {
            kind,
            ..ScheduleConfig::default()
        };
        f(&mut c);
        LrSchedule::new(&c, 1.0, 10)
    }

    #[test]
    fn step_exponential_cosine_and_warmup_by_hand() {
        let s = schedule(ScheduleKind::Step, |c| {
            c.step_size = 3;
            c.gamma = Some(0.5);
        });
        assert_eq!([1, 3, 4, 7].map(|e| s.lr(e)), [1.0, 1.0, 0.5, 0.25]);
        let s = schedule(ScheduleKind::Exponential, |c| c.gamma = Some(0.5));
        assert_eq!([1, 2, 3].map(|e| s.lr(e)), [1.0, 0.5, 0.25]);
        let s = schedule(ScheduleKind::Cosine, |_| {});
        assert!((s.lr(1) - 1.0).abs() < 1e-12 && (s.lr(6) - 0.5).abs() < 1e-12);
        let s = schedule(ScheduleKind::Constant, |c| c.warmup_epochs = 4);
        assert_eq!([1, 2, 4, 5].map(|e| s.lr(e)), [0.25, 0.5, 1.0, 1.0]);
    }

    #[test]
    fn plateau_drops_the_rate_after_patience_stalled_epochs() {
        let mut s = schedule(ScheduleKind::Plateau, |c| {
            c.patience = 2;
            c.factor = 0.5;
        });
        for (epoch, loss) in [1.0, 0.9, 0.9, 0.9].into_iter().enumerate() {
            s.observe(epoch + 1, loss);
        }
        assert_eq!(s.lr(5), 0.5);
    }

    #[test]
    fn plateau_counts_no_stall_during_warm_up() {
        let mut s = schedule(ScheduleKind::Plateau, |c| {
            c.patience = 2;
            c.factor = 0.5;
            c.warmup_epochs = 3;
        });
        // Stalled through the warm-up: the full rate still follows it.
        for epoch in 1..=3 {
            s.observe(epoch, 1.0);
        }
        assert_eq!(s.lr(4), 1.0);
        // From there, two stalled epochs cut it.
        for epoch in 4..=6 {
            s.observe(epoch, 1.0);
        }
        assert_eq!(s.lr(7), 0.5);
    }

    #[test]
    fn a_rebased_schedule_scales_every_later_rate_and_the_same_base_changes_nothing() {
        let s = schedule(ScheduleKind::Step, |c| {
            c.step_size = 3;
            c.gamma = Some(0.5);
        });
        let mut same = s.clone();
        same.rebase(1.0);
        assert_eq!([4, 7].map(|e| same.lr(e)), [0.5, 0.25]);
        let mut lower = s;
        lower.rebase(0.1);
        assert_eq!([4, 7].map(|e| lower.lr(e)), [0.05, 0.025]);
        let mut plateau = schedule(ScheduleKind::Plateau, |c| {
            c.patience = 2;
            c.factor = 0.5;
        });
        for (epoch, loss) in [1.0, 0.9, 0.9, 0.9].into_iter().enumerate() {
            plateau.observe(epoch + 1, loss);
        }
        plateau.rebase(0.1);
        assert_eq!(plateau.lr(5), 0.05);
        // Never below the plateau's floor.
        let mut floored = schedule(ScheduleKind::Plateau, |c| {
            c.patience = 1;
            c.factor = 0.1;
            c.min_lr = 0.2;
        });
        for epoch in 1..=3 {
            floored.observe(epoch, 1.0);
        }
        assert_eq!(floored.lr(4), 0.2);
        floored.rebase(0.5);
        assert_eq!(floored.lr(4), 0.2);
    }
}
