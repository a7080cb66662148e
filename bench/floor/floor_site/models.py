from django.db import models


class Contact(models.Model):
    name = models.CharField(max_length=200, blank=True, default="")
    email = models.CharField(max_length=255, blank=True, default="", db_index=True)
    phone = models.CharField(max_length=40, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Deal(models.Model):
    title = models.CharField(max_length=255)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
