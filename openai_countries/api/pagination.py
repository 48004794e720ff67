from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """50 rows a page by default; a client may ask for up to 200 with ``?page_size=``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
