// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A stage and the layer cache: the key pass that keys every layer step before any runs, the
//! decision for the next step, taking a hit in place of running a step, and storing one that ran.

use super::StageRun;
use crate::builder::layer_cache::PlannedStep;
use crate::builder::BuildError;
use crate::cache::KeyParts;
use crate::dockerfile::parse_instruction;
use crate::snapshot::LayerBlob;

impl StageRun<'_> {
    /// The key pass: computes the cache key of every layer step of the stage (ONBUILD triggers
    /// first) without running any, by replaying the metadata steps on a copy of the stage's
    /// state, then lets the cache probe them all and decide which steps are hits.
    pub async fn plan_cache(&mut self) {
        let Some(cache) = self.shared.layer_cache.as_ref() else {
            return;
        };
        let saved = (self.image.clone(), self.args.clone(), self.cmd_set_here);
        self.keying = Some(Vec::new());
        self.chain = self.image.cache_key.clone();
        let instructions = &self.shared.dockerfile.stages[self.index].instructions;
        let triggers = (self.image.assembler.config().config.as_ref())
            .map(|c| c.on_build.clone())
            .unwrap_or_default();
        let escape = self.shared.dockerfile.escape();
        let mut ok = true;
        for trigger in &triggers {
            match parse_instruction(trigger, escape) {
                Ok(i) => ok = ok && Box::pin(self.execute(&i)).await.is_ok(),
                Err(_) => ok = false,
            }
            if !ok {
                break;
            }
        }
        if ok {
            for instruction in instructions {
                if Box::pin(self.execute(instruction)).await.is_err() {
                    // The real run reports it; no step after it is cached.
                    self.chain = None;
                    break;
                }
            }
        } else {
            self.chain = None;
        }
        let keyed = self.keying.take().unwrap_or_default();
        self.final_key = self.chain.take();
        (self.image, self.args, self.cmd_set_here) = saved;
        self.planned = cache.plan(&self.stage_name(), keyed).await;
    }

    /// In the key pass, records a layer step's key (or that it has none) and moves the chain on.
    pub(super) fn key_step(&mut self, kind: &str, parts: Option<KeyParts>, created_by: String) {
        let Some(cache) = self.shared.layer_cache.as_ref() else {
            return;
        };
        let step = cache.key_step(parts, kind, self.chain.clone(), created_by);
        self.chain = step.key.clone();
        if let Some(k) = self.keying.as_mut() {
            k.push(step);
        }
    }

    /// The cache's decision for the layer step about to run (`None` without a cache).
    pub(super) fn next_planned(&mut self) -> Option<PlannedStep> {
        self.planned.pop_front()
    }

    /// Stores the step that just ran in the cache (in the background).
    pub(super) fn store_step(&self, planned: Option<&PlannedStep>, layer: Option<&LayerBlob>) {
        if let (Some(cache), Some(p)) = (self.shared.layer_cache.as_ref(), planned) {
            cache.store(&p.step, layer);
        }
    }

    /// Takes a step's layer from the cache instead of running it.
    pub(super) async fn use_hit(
        &mut self,
        hit: crate::cache::entry::Entry,
        created_by: String,
    ) -> Result<(), BuildError> {
        let Some(cache) = self.shared.layer_cache.as_ref() else {
            return Err(BuildError::Internal {
                message: "a cache hit without a cache".into(),
            });
        };
        let Some(layer) = hit.layer else {
            let h = self.history(created_by, true);
            self.image.assembler.append_history(h);
            return Ok(());
        };
        let location = cache.location(&layer);
        cache.note_hit(&layer);
        let mut assembled = crate::image::AssembledLayer {
            descriptor: layer.descriptor,
            diff_id: layer.diff_id,
            location,
        };
        let format = &self.shared.request.format;
        let wanted = format.compression.as_layer_compression();
        let needs_file = self.fs.is_some()
            || crate::image::media_type::layer_compression(&assembled.descriptor.media_type) != Some(wanted);
        if needs_file {
            let shared = self.shared;
            let local = shared.local_layers(std::slice::from_ref(&assembled)).await?;
            let (path, media_type) = local.into_iter().next().ok_or_else(|| BuildError::Internal {
                message: "cached layer has no file".into(),
            })?;
            if crate::image::media_type::layer_compression(&media_type) != Some(wanted) {
                // Compression is not in the key: an entry written with another one is re-encoded
                // (its content, checked against the diff ID, stays).
                let out = tokio::task::block_in_place(|| {
                    crate::snapshot::recompress::recompress_blob(
                        &path,
                        &media_type,
                        &assembled.diff_id,
                        &shared.workspace.layers(),
                        format.compression,
                        format.compression_level,
                    )
                })?;
                let media = crate::image::ManifestFormat::Oci
                    .layer_media_type(wanted)
                    .unwrap_or(crate::image::media_type::OCI_LAYER_GZIP);
                assembled.descriptor = crate::image::Descriptor::new(media, out.digest, out.size);
                assembled.location = crate::image::LayerLocation::File(out.path);
            }
            if let Some(fs) = self.fs.as_mut() {
                let blob = LayerBlob {
                    path: match &assembled.location {
                        crate::image::LayerLocation::File(p) => p.clone(),
                        crate::image::LayerLocation::Remote { .. } => path,
                    },
                    descriptor: assembled.descriptor.clone(),
                    diff_id: assembled.diff_id.clone(),
                    uncompressed_size: 0,
                };
                fs.apply(&blob, true)?;
            }
        }
        // The view, if any, is rebuilt from the layers when next needed.
        self.image.view = None;
        let h = self.history(created_by, false);
        self.image.assembler.append_located_layer(assembled, h);
        Ok(())
    }
}
