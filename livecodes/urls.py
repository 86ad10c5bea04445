from django.urls import path

from . import public_views, views

app_name = "livecodes"

urlpatterns = [
    # The member's side: public, for a phone.
    path("j/<slug:slug>/", public_views.live_code_page, name="public"),
    path("j/<slug:slug>/ref/", public_views.referral_submit, name="referral-submit"),
    path("j/<slug:slug>/qr/<int:image_id>/", public_views.qr_image, name="qr-image"),
    path("j/<slug:slug>/contact/", public_views.contact_image, name="contact-image"),
    # The operator's side.
    path("live-codes/", views.livecode_list, name="livecode-list"),
    path("live-codes/new/", views.livecode_edit, name="livecode-create"),
    path("live-codes/rewards/", views.reward_list, name="reward-list"),
    path("live-codes/rewards/<int:referrer_id>/pay/", views.reward_pay, name="reward-pay"),
    path("live-codes/<int:pk>/", views.livecode_detail, name="livecode-detail"),
    path("live-codes/<int:pk>/edit/", views.livecode_edit, name="livecode-edit"),
    path("live-codes/<int:pk>/pool/", views.pool_add, name="pool-add"),
    path("live-codes/<int:pk>/pool/<int:entry_id>/toggle/", views.pool_toggle, name="pool-toggle"),
    path("live-codes/<int:pk>/pool/<int:entry_id>/images/", views.image_upload, name="image-upload"),
    path("live-codes/<int:pk>/referral-link/", views.referral_link, name="referral-link"),
    path("members/<int:member_id>/referral-link/", views.member_referral_link, name="member-referral-link"),
    path("live-codes/<int:pk>/poster.png", views.poster, {"kind": "png"}, name="poster-png"),
    path("live-codes/<int:pk>/poster.svg", views.poster, {"kind": "svg"}, name="poster-svg"),
]
