import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from microblog.models import Post


class PostFactory(DjangoModelFactory):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence", nb_words=12)
