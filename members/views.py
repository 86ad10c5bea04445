from django.http import HttpResponse


def member_list(request):
    return HttpResponse("members")


def member_detail(request, pk):
    return HttpResponse("member")


def group_list(request):
    return HttpResponse("groups")


def group_detail(request, pk):
    return HttpResponse("group")
