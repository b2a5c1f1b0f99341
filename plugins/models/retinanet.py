"""The ``ssd`` meta-architecture for the RetinaNet family, built with Model Garden.

Its parts (feature extractor, box predictor, anchors, similarity, matcher, box
coder, losses) are registry components on Model Garden's ops, chosen by the
pipeline's ``model.ssd`` section and assembled into Model Garden's
RetinaNetModel; batch NMS runs in its detection generator.
"""

from __future__ import annotations

from typing import Any

from imagine_plugins.models.detections import KerasDetector, as_float32, pixel_boxes, to_contract
from imagine_plugins.models.levels import check_levels
from imagine_plugins.models.losses import HardExampleMiner

# Model Garden's NMS: its default ('v2') spends seconds per page on a CPU, 'batched'
# (tf.image.combined_non_max_suppression) milliseconds for the same accuracy
# (tests/benchmarks/bench_ocr.py --nms batched,v2 compares them).
NMS_VERSION = "batched"


def _detections(post: Any, box_coder: Any) -> Any:
    """Model Garden's multilevel NMS with the pipeline's post-processing settings."""
    from official.vision.modeling.layers import detection_generator

    nms = post.batch_non_max_suppression
    return detection_generator.MultilevelDetectionGenerator(
        apply_nms=True,
        pre_nms_top_k=max(5000, 4 * nms.max_total_detections),
        pre_nms_score_threshold=max(nms.score_threshold, 1e-8),
        nms_iou_threshold=nms.iou_threshold,
        max_num_detections=nms.max_total_detections,
        nms_version=NMS_VERSION,
        box_coder_weights=box_coder.weights,
    )


class RetinaNetDetector(KerasDetector):
    """preprocess -> predict -> loss (training) or postprocess (detections in pixels).

    Every part comes from the registry, chosen by the pipeline: the feature
    extractor (backbone + FPN), the box predictor (heads), the anchor generator,
    similarity, matcher and box coder (target assignment), and both losses.
    """

    def __init__(self, ssd: Any, ctx: Any):
        from official.vision.modeling import retinanet_model
        from official.vision.ops import target_gather

        from imagine_plugins.models.plugin import SSD_NEEDS

        def part(name: str) -> Any:
            where = f"model.ssd.{name}"
            return ctx.build(getattr(ssd, name), contract=SSD_NEEDS[name], where=where)

        self.ssd = ssd
        self.num_classes = ssd.num_classes
        self.anchor_generator = part("anchor_generator")
        extractor = self.extractor = part("feature_extractor")
        predictor = part("box_predictor")
        self.min_level = self.anchor_generator.min_level
        self.max_level = self.anchor_generator.max_level
        backbone, decoder = extractor.build(self.min_level, self.max_level)
        levels = range(self.min_level, self.max_level + 1)
        check_levels(backbone, decoder, levels, ssd.feature_extractor.type)
        head = predictor.build(
            self.min_level, self.max_level, self.num_classes + 1, self.anchor_generator.per_location
        )
        self.similarity = ctx.build(ssd.similarity_calculator)
        self.matcher = ctx.build(ssd.matcher)
        self.box_coder = ctx.build(ssd.box_coder)
        self.classification_loss = ctx.build(ssd.loss.classification_loss)
        self.localization_loss = ctx.build(ssd.loss.localization_loss)
        self.miner = (
            HardExampleMiner(ssd.loss.hard_example_miner)
            if ssd.loss.HasField("hard_example_miner")
            else None
        )
        # use_matmul_gather: the matcher's own gather (a one-hot matmul, for TPUs)
        self.gather = getattr(self.matcher, "gather", None) or target_gather.TargetGather()
        generator = _detections(ssd.post_processing, self.box_coder)
        import tf_keras

        features = backbone(tf_keras.Input([None, None, 3]))
        _ = head(decoder(features) if decoder else features)  # creates the head's weights
        # predict() hands the model its anchors, so these only describe them.
        multiscale = ssd.anchor_generator.multiscale_anchor_generator
        self.model = retinanet_model.RetinaNetModel(
            backbone,
            decoder,
            head,
            generator,
            min_level=self.min_level,
            max_level=self.max_level,
            num_scales=multiscale.scales_per_octave,
            aspect_ratios=list(self.anchor_generator.aspect_ratios),
            anchor_size=multiscale.anchor_scale,
        )
        if ssd.freeze_batchnorm:
            self.freeze_batchnorm()

    def fine_tune_items(self) -> dict[str, Any]:
        """What a checkpoint of a model trained on other classes can give this one:
        backbone, FPN and every head layer but the class predictor's last one."""
        import tensorflow as tf

        head = self.model.head
        kept = {
            name: getattr(head, name)
            for name in ("_cls_convs", "_cls_norms", "_box_convs", "_box_norms", "_box_regressor")
        }
        model = tf.train.Checkpoint(
            _backbone=self.model.backbone,
            _decoder=self.model.decoder,
            _head=tf.train.Checkpoint(**kept),
        )
        return {"model": model}

    def carry_classes(self, path: str, rows: dict[int, int], earlier: int) -> int:
        """Copy the class predictor's last layer for the classes a checkpoint's model knew:
        ``rows`` maps a class index of this model (0, the background, included) to the
        checkpoint's, whose model had ``earlier`` classes (background included). The
        layer's outputs are anchors x classes, class fastest (as ``predict`` reshapes
        them); the other classes keep their fresh start. Returns how many glyph classes
        were copied: none where the heads do not line up (other anchors, widths)."""
        import tensorflow as tf

        reader = tf.train.load_checkpoint(path)
        classes = self.num_classes + 1
        copies = []
        for key, variable in self._classifier_variables():
            if not reader.has_tensor(key):
                return 0
            old, new = reader.get_tensor(key), variable.numpy()
            anchors = new.shape[-1] // classes
            if new.shape[-1] != anchors * classes:  # no class outputs (a depthwise kernel)
                copies.append((variable, old) if old.shape == new.shape else None)
                continue
            if old.shape[:-1] != new.shape[:-1] or old.shape[-1] != anchors * earlier:
                return 0
            for here, there in rows.items():
                new[..., here::classes] = old[..., there::earlier]
            copies.append((variable, new))
        if not copies or None in copies:
            return 0
        for variable, value in copies:
            variable.assign(value)
        return len(set(rows) - {0})

    def _classifier_variables(self) -> list[tuple[str, Any]]:
        """(checkpoint key, variable) of the class predictor's last layer (one for every
        level, or one per level), under the names ``checkpoint_items`` saves them."""
        layers = self.model.head._classifier
        layers = layers if isinstance(layers, (list, tuple)) else [layers]
        found = []
        for index, layer in enumerate(layers):
            prefix = "model/_head/_classifier" + (f"/{index}" if len(layers) > 1 else "")
            for variable in layer.weights:
                attribute = variable.name.split("/")[-1].split(":")[0]
                found.append((f"{prefix}/{attribute}/.ATTRIBUTES/VARIABLE_VALUE", variable))
        return found

    def stride(self) -> int:
        """Image sides must be multiples of this: the FPN adds maps of exact halves."""
        return self.extractor.size_multiple or 2**self.max_level

    def _anchors(self, height: int, width: int):
        import tensorflow as tf

        return tf.concat(
            [tf.reshape(v, [-1, 4]) for v in self.anchor_generator((height, width)).values()], 0
        )

    def label_fn(self, example: dict[str, Any]) -> dict[str, Any]:
        """Anchor targets for one padded example of the input pipeline (static size)."""
        import tensorflow as tf
        from official.vision.ops import anchor

        height, width = example["image"].shape[0], example["image"].shape[1]
        count = example["num_groundtruth_boxes"]
        boxes = pixel_boxes(example)
        labels = tf.expand_dims(example["groundtruth_classes"][:count] + 1, -1)  # 0: background
        levels = self.anchor_generator((height, width))
        flat = tf.concat([tf.reshape(v, [-1, 4]) for v in levels.values()], 0)
        indices, indicators = self.matcher(self.similarity(flat, boxes))
        mask = tf.less_equal(indicators, 0)
        cls_targets = self.gather(labels, indices, mask[:, None], -1)
        box_targets = self.gather(boxes, indices, tf.tile(mask[:, None], [1, 4]))
        weights = tf.cond(count > 0, lambda: tf.ones([count], tf.float32), lambda: tf.ones([1]))
        box_weights = self.gather(weights, indices, mask)
        cls_weights = self.gather(weights, indices, tf.equal(indicators, -2))
        cls_weights *= 1.0 - tf.cast(
            tf.logical_and(tf.equal(indicators, -1), self._in_ignore_regions(flat, example)),
            tf.float32,
        )
        box_targets = self.box_coder.encode(box_targets, flat)
        return {
            **example,
            "cls_targets": anchor.unpack_targets(cls_targets, levels),
            "box_targets": anchor.unpack_targets(box_targets, levels),
            "cls_weights": cls_weights,
            "box_weights": box_weights,
        }

    @staticmethod
    def _in_ignore_regions(anchors, example: dict[str, Any]):
        """Whether each anchor's centre lies in an ignore region of the example (a part of
        a page nobody marked, a glyph the tile cut): such an anchor, unless it matched a
        glyph, is neither taught background nor anything else."""
        import tensorflow as tf

        if "groundtruth_ignore_boxes" not in example:
            return tf.zeros([tf.shape(anchors)[0]], tf.bool)
        count = example["num_groundtruth_ignore_boxes"]
        true = tf.cast(example["true_image_shape"][:2], tf.float32)
        regions = example["groundtruth_ignore_boxes"][:count] * tf.concat([true, true], 0)
        cy = (anchors[:, 0:1] + anchors[:, 2:3]) / 2
        cx = (anchors[:, 1:2] + anchors[:, 3:4]) / 2
        inside = (
            (cy >= regions[None, :, 0])
            & (cy <= regions[None, :, 2])
            & (cx >= regions[None, :, 1])
            & (cx <= regions[None, :, 3])
        )
        return tf.reduce_any(inside, axis=1)

    def predict(self, images, true_image_shapes, training: bool = False):
        import tensorflow as tf

        if training:
            return self.model(images, image_shape=true_image_shapes, training=True)
        batch = tf.shape(images)[0]
        anchors = {
            level: tf.tile(boxes[None], [batch, 1, 1, 1])
            for level, boxes in self.anchor_generator(tuple(images.shape[1:3])).items()
        }
        return self.model(
            images, image_shape=true_image_shapes, anchor_boxes=anchors, training=False
        )

    def _decode(self, codes, anchors):
        """Box encodings [batch, anchors, 4] to boxes, against the flat anchors."""
        import tensorflow as tf

        batch = tf.shape(codes)[0]
        tiled = tf.tile(anchors, [batch, 1])
        return tf.reshape(self.box_coder.decode(tf.reshape(codes, [-1, 4]), tiled), tf.shape(codes))

    def loss(self, predictions, groundtruth):
        import tensorflow as tf
        from official.vision.losses import loss_utils

        predictions = as_float32(predictions)
        cls_weights, box_weights = groundtruth["cls_weights"], groundtruth["box_weights"]
        classes = self.num_classes + 1
        flat = loss_utils.multi_level_flatten
        cls_pred = flat(predictions["cls_outputs"], last_dim=classes)
        cls_true = tf.one_hot(flat(groundtruth["cls_targets"], last_dim=None), classes)
        box_pred = flat(predictions["box_outputs"], last_dim=4)
        box_true = flat(groundtruth["box_targets"], last_dim=4)
        decode_loc = getattr(self.localization_loss, "needs_boxes", False)
        if decode_loc or self.miner is not None:
            anchors = self._anchors(*groundtruth["image"].shape[1:3])
            decoded_pred = self._decode(box_pred, anchors)
        if decode_loc:  # e.g. the IoU loss compares boxes, not their encodings
            box_pred, box_true = decoded_pred, self._decode(box_true, anchors)
        if self.miner is not None:
            cls_weights = cls_weights * self.miner(
                self.classification_loss.per_anchor(cls_pred, cls_true),
                self.localization_loss.per_anchor(box_pred, box_true),
                tf.stop_gradient(decoded_pred),
                box_weights > 0,
            )
        if self.ssd.normalize_loss_by_num_matches:
            matches = tf.reduce_sum(box_weights) + 1.0
            cls_weights, box_weights = cls_weights / matches, box_weights / matches
        cls_loss = self.classification_loss(cls_pred, cls_true, cls_weights)
        box_loss = self.localization_loss(box_pred, box_true, box_weights)
        if self.ssd.normalize_loc_loss_by_codesize:
            box_loss = box_loss / 4.0
        return {
            "classification": cls_loss * self.ssd.loss.classification_weight,
            "localization": box_loss * self.ssd.loss.localization_weight,
        }

    def postprocess(self, predictions, true_image_shapes):
        return to_contract(predictions, self.ssd.post_processing.batch_non_max_suppression)

    def dense_detections(self, images):
        """Every anchor's decoded box (pixels) and class probabilities (background
        dropped), before any NMS: what the TFLite exporter builds its graph from."""
        import tensorflow as tf
        from official.vision.losses import loss_utils

        prepared, _ = self.preprocess(images)
        features = self.model.decoder(self.model.backbone(prepared, training=False))
        scores, codes = self.model.head(features, training=False)[:2]
        classes = self.num_classes + 1
        logits = loss_utils.multi_level_flatten(scores, last_dim=classes)
        codes = loss_utils.multi_level_flatten(codes, last_dim=4)
        boxes = self._decode(codes, self._anchors(*images.shape[1:3]))
        return boxes, tf.sigmoid(logits)[..., 1:]
