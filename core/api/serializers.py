from rest_framework import serializers


class PoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    enabled = serializers.BooleanField()


class TerritorySerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    slug = serializers.CharField()
    domain = serializers.CharField(allow_null=True)
    poles = PoleSerializer(many=True)
