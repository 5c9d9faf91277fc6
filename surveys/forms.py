from __future__ import annotations

from django import forms

from surveys.models import QUESTIONS, RATING_CHOICES

HELP = {
    "courtesy": "Was the support advisor polite and respectful?",
    "knowledge": "Did the advisor know the product and your question?",
    "timeliness": "Were you answered and helped quickly enough?",
    "quality": "Did the resolution solve the problem?",
    "overall": "Your experience with this case as a whole.",
}


class SurveyForm(forms.Form):
    """The five ratings, 1 (poor) to 5 (excellent), and an optional comment (SPEC §9)."""

    comment = forms.CharField(
        label="Anything you would like to tell us? (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        ratings = {
            name: forms.TypedChoiceField(
                label=label,
                choices=RATING_CHOICES,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "rating"}),
                help_text=f"{HELP[name]} 1 is poor, 5 is excellent.",
                error_messages={
                    "required": f"Choose a rating from 1 to 5 for {label}.",
                    "invalid_choice": f"Choose a rating from 1 to 5 for {label}.",
                },
            )
            for name, label in QUESTIONS
        }
        comment = self.fields.pop("comment")
        self.fields.update(ratings)
        self.fields["comment"] = comment
