"""GET /api/v1/figures/response-times/ — placeholder until the figures land (issue 7)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class ResponseTimes(APIView):
    def get(self, request: Request) -> Response:
        return Response({"error": {"code": "not_built", "message": "Not built yet."}}, status=501)
