from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("short_body", "author", "created_at")
    list_filter = ("created_at", "author__is_active")
    search_fields = ("body", "author__username")
    autocomplete_fields = ("author",)
    list_select_related = ("author",)
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)

    @admin.display(description=_("post"))
    def short_body(self, post: Post) -> str:
        return Truncator(post.body).chars(80)
