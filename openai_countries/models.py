"""Abstract building blocks shared by the domain apps; no table-backed models live here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Provenance(models.TextChoices):
    RECORDED = "recorded", _("Recorded by the program")
    REPORTED = "reported", _("Publicly reported")
    ILLUSTRATIVE = "illustrative", _("Illustrative (demo)")


class ProvenanceModel(models.Model):
    """Where a figure comes from: the program's own records, public reporting, or illustration."""

    provenance = models.CharField(
        _("provenance"), max_length=16, choices=Provenance.choices, default=Provenance.RECORDED
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        abstract = True


class TransitionRecord(models.Model):
    """One recorded move of a lifecycle field: who, when, from, to and why."""

    from_status = models.CharField(_("from"), max_length=32, blank=True)
    to_status = models.CharField(_("to"), max_length=32)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty when the system made the move (for example a disbursement)."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"
