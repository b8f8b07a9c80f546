"""Typed models of Tencent Cloud Chat — Official Account webhooks (contract version 1.0.0).

Generated from openapi.yaml by `mockserver generate python`; do not edit, regenerate.

Every event, response, message element and nested object is a msgspec Struct: attributes are
snake_case, the vendor's wire names are kept as field renames, unknown fields are tolerated,
optional fields that were absent stay `UNSET` (and are not written back), and constraints
(lengths, bounds, patterns) are checked while decoding. Discriminated unions are decoded in one
lookup on their tag, never by trying each branch.

Two things are written for speed. A pattern that only anchors a literal prefix (``^@TOA#_.+``) is
checked by a slice comparison in the struct's `__post_init__` (also when you construct one)
rather than by a regex per call; the pattern is quoted next to the check. Structs are
`gc=False`: they are plain data that never form reference cycles, so the garbage collector need
not track them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, TypeAlias, TypeVar, cast

import msgspec

__all__ = [
    "CONTRACT_FINGERPRINT",
    "EVENT_TYPES",
    "RESPONSE_TYPES",
    "ActionStatus",
    "AfterAddSubscriber",
    "AfterAddSubscriberResponse",
    "AfterCreateOfficialAccount",
    "AfterCreateOfficialAccountResponse",
    "AfterDeleteSubscriber",
    "AfterDeleteSubscriberResponse",
    "AfterMsgWithDraw",
    "AfterMsgWithDrawResponse",
    "AfterOfficialAccountDestroyed",
    "AfterOfficialAccountDestroyedResponse",
    "AfterOfficialAccountFull",
    "AfterOfficialAccountFullResponse",
    "AfterOfficialAccountInfoChanged",
    "AfterOfficialAccountInfoChangedResponse",
    "AfterSendMsg",
    "AfterSendMsgResponse",
    "AnyResponse",
    "BeforeAddSubscriber",
    "BeforeAddSubscriberResponse",
    "BeforeCreateOfficialAccount",
    "BeforeCreateOfficialAccountResponse",
    "BeforeSendMsg",
    "BeforeSendMsgResponse",
    "CallbackCommand",
    "CallbackEvent",
    "CloudCustomData",
    "CustomElem",
    "CustomElemMsgContent",
    "DownloadFlag",
    "ErrorInfo",
    "EventTime",
    "FaceElem",
    "FaceElemMsgContent",
    "FileElem",
    "FileElemMsgContent",
    "IgnoredErrorCode",
    "ImageElem",
    "ImageElemMsgContent",
    "ImageInfo",
    "LocationElem",
    "LocationElemMsgContent",
    "MsgBody",
    "MsgElement",
    "OfficialAccountID",
    "OfficialAccountName",
    "OnlineOnlyFlag",
    "OperatorAccount",
    "PayloadError",
    "Problem",
    "ProblemErrorsItem",
    "SoundElem",
    "SoundElemMsgContent",
    "SubscribeAccountList",
    "Subscriber",
    "TextElem",
    "TextElemMsgContent",
    "UnknownCommandError",
    "UnknownElem",
    "UserID",
    "VideoFileElem",
    "VideoFileElemMsgContent",
    "WithdrawnMsg",
    "decode",
    "decode_event",
    "encode",
]


class _OpenUnion(type):
    """Metaclass of the runtime markers of open unions: `isinstance` checks the member classes."""

    classes: tuple[type, ...]

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls.classes)


_OPEN_UNIONS: dict[object, tuple[str, Mapping[str, type[msgspec.Struct]], type[msgspec.Struct]]] = {}
"""Open unions by runtime marker: (tag field, member class by tag, catch-all class)."""


def _mismatch(pattern: str, field: str) -> ValueError:
    """The error msgspec raises for a pattern; the prefix checks of `__post_init__` stand in for its regex."""
    return ValueError(f"Expected `str` matching regex '{pattern}' - at `$.{field}`")


OfficialAccountID: TypeAlias = Annotated[str, msgspec.Meta(max_length=48)]
"""The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept. Pattern
`^@TOA#_.+`, checked as a prefix by the `__post_init__` of the structs that hold it."""


EventTime: TypeAlias = Annotated[int, msgspec.Meta(ge=0, le=9223372036854775807)]
"""Event trigger timestamp in milliseconds."""


class AfterOfficialAccountFull(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackAfterOfficialAccountFull",
):
    """Sent after a user subscribed and the Official Account reached its subscriber limit (users
    subscribing from a client, or the app admin adding subscribers by REST API). Lets the app
    backend notice in real time that no more users can subscribe."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterOfficialAccountFull"]] = (
        "OfficialAccount.CallbackAfterOfficialAccountFull"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


UserID: TypeAlias = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
"""A Chat UserID (at most 32 bytes; the schema bounds characters)."""


OperatorAccount: TypeAlias = UserID
"""The UserID of the operator who initiated the request."""


class Subscriber(msgspec.Struct, kw_only=True, gc=False):
    """Subscriber"""

    subscriber_account: UserID = msgspec.field(name="Subscriber_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""


SubscribeAccountList: TypeAlias = Annotated[list[Subscriber], msgspec.Meta(min_length=1, max_length=100)]
"""The users concerned (at most 100 per request)."""


class AfterDeleteSubscriber(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackAfterDeleteSubscriber",
):
    """Sent after users unsubscribed from an Official Account (from a client) or the app admin deleted
    subscribers by REST API, for recording or synchronising unsubscriptions."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterDeleteSubscriber"]] = (
        "OfficialAccount.CallbackAfterDeleteSubscriber"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    operator_account: OperatorAccount = msgspec.field(name="Operator_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""
    subscribe_account_list: SubscribeAccountList = msgspec.field(name="SubscribeAccountList")
    """The users concerned (at most 100 per request)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


OfficialAccountName: TypeAlias = Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
"""Name of the Official Account (at most 150 bytes of UTF-8, a Chinese character being 3; the schema
bounds characters)."""


class AfterOfficialAccountDestroyed(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackAfterOfficialAccountDestroyed",
):
    """Sent after the app admin destroyed an Official Account by REST API, for recording or
    synchronising the dissolution."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterOfficialAccountDestroyed"]] = (
        "OfficialAccount.CallbackAfterOfficialAccountDestroyed"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    owner_account: UserID = msgspec.field(name="Owner_Account")
    """The creator of the Official Account, who is also its owner."""
    name: OfficialAccountName = msgspec.field(name="Name")
    """Name of the Official Account (at most 150 bytes of UTF-8, a Chinese character being 3; the
    schema bounds characters)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class BeforeAddSubscriber(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackBeforeAddSubscriber",
):
    """Sent before users subscribe to an Official Account (from a client, or the app admin adding
    subscribers by REST API). The answer can let the request through, refuse some of the users
    (`RefusedSubscribers_Account`) or reject it whole (`ErrorCode` 1). If the answer fails or times
    out, the Chat backend lets the request through."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackBeforeAddSubscriber"]] = (
        "OfficialAccount.CallbackBeforeAddSubscriber"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    operator_account: OperatorAccount = msgspec.field(name="Operator_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""
    subscribe_account_list: SubscribeAccountList = msgspec.field(name="SubscribeAccountList")
    """The users concerned (at most 100 per request)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


OnlineOnlyFlag: TypeAlias = Literal[0, 1]
"""`1` if the message is an online-only message, otherwise `0`."""


class TextElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """TextElemMsgContent"""

    text: str = msgspec.field(name="Text")
    """The text."""


class TextElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMTextElem"):
    """A text element."""

    msg_type: ClassVar[Literal["TIMTextElem"]] = "TIMTextElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: TextElemMsgContent = msgspec.field(name="MsgContent")


class LocationElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """LocationElemMsgContent"""

    desc: str = msgspec.field(name="Desc")
    """Description of the location."""
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)] = msgspec.field(name="Latitude")
    """Latitude in degrees."""
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)] = msgspec.field(name="Longitude")
    """Longitude in degrees."""


class LocationElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMLocationElem"):
    """A location element."""

    msg_type: ClassVar[Literal["TIMLocationElem"]] = "TIMLocationElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: LocationElemMsgContent = msgspec.field(name="MsgContent")


class FaceElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """FaceElemMsgContent"""

    index: int = msgspec.field(name="Index")
    """Emoji index, defined by the app."""
    data: str = msgspec.field(name="Data")
    """Extra emoji data."""


class FaceElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMFaceElem"):
    """An emoji (face) element."""

    msg_type: ClassVar[Literal["TIMFaceElem"]] = "TIMFaceElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: FaceElemMsgContent = msgspec.field(name="MsgContent")


class CustomElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """CustomElemMsgContent"""

    data: str = msgspec.field(name="Data")
    """Custom data; the only field always present."""
    desc: str | msgspec.UnsetType = msgspec.field(name="Desc", default=msgspec.UNSET)
    """Custom description, used in offline push text."""
    ext: str | msgspec.UnsetType = msgspec.field(name="Ext", default=msgspec.UNSET)
    """Extension field."""
    sound: str | msgspec.UnsetType = msgspec.field(name="Sound", default=msgspec.UNSET)
    """Custom offline-push sound (iOS)."""


class CustomElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMCustomElem"):
    """A custom element, defined by the app."""

    msg_type: ClassVar[Literal["TIMCustomElem"]] = "TIMCustomElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: CustomElemMsgContent = msgspec.field(name="MsgContent")


DownloadFlag: TypeAlias = Literal[2]
"""Download flag; 2 means the resource downloads from its URL."""


class SoundElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """SoundElemMsgContent"""

    url: str | msgspec.UnsetType = msgspec.field(name="Url", default=msgspec.UNSET)
    """Download URL of the voice (absent from old SDKs' messages)."""
    uuid: str = msgspec.field(name="UUID")
    """Unique ID of the voice."""
    size: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="Size")
    """Size of the voice data, in bytes."""
    second: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="Second")
    """Duration, in seconds."""
    download_flag: DownloadFlag | msgspec.UnsetType = msgspec.field(name="Download_Flag", default=msgspec.UNSET)
    """Download flag; 2 means the resource downloads from its URL."""


class SoundElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMSoundElem"):
    """A voice element. Messages from old SDKs omit `Url` and `Download_Flag`."""

    msg_type: ClassVar[Literal["TIMSoundElem"]] = "TIMSoundElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: SoundElemMsgContent = msgspec.field(name="MsgContent")


class ImageInfo(msgspec.Struct, kw_only=True, gc=False):
    """ImageInfo"""

    type: Literal[1, 2, 3] = msgspec.field(name="Type")
    """Image type: 1 original, 2 large, 3 thumbnail."""
    size: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="Size")
    """Image size, in bytes."""
    width: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="Width")
    """Width, in pixels."""
    height: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="Height")
    """Height, in pixels."""
    url: str = msgspec.field(name="URL")
    """Download URL of the image."""


class ImageElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """ImageElemMsgContent"""

    uuid: str = msgspec.field(name="UUID")
    """Unique ID of the image."""
    image_format: Literal[1, 2, 3, 4, 255] = msgspec.field(name="ImageFormat")
    """Image format: 1 JPG, 2 GIF, 3 PNG, 4 BMP, 255 other."""
    image_info_array: list[ImageInfo] = msgspec.field(name="ImageInfoArray")
    """The original image, the large image and the thumbnail."""


class ImageElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMImageElem"):
    """An image element."""

    msg_type: ClassVar[Literal["TIMImageElem"]] = "TIMImageElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: ImageElemMsgContent = msgspec.field(name="MsgContent")


class FileElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """FileElemMsgContent"""

    url: str | msgspec.UnsetType = msgspec.field(name="Url", default=msgspec.UNSET)
    """Download URL of the file (absent from old SDKs' messages)."""
    uuid: str = msgspec.field(name="UUID")
    """Unique ID of the file."""
    file_size: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="FileSize")
    """File size, in bytes."""
    file_name: str = msgspec.field(name="FileName")
    """File name."""
    download_flag: DownloadFlag | msgspec.UnsetType = msgspec.field(name="Download_Flag", default=msgspec.UNSET)
    """Download flag; 2 means the resource downloads from its URL."""


class FileElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMFileElem"):
    """A file element. Messages from old SDKs omit `Url` and `Download_Flag`."""

    msg_type: ClassVar[Literal["TIMFileElem"]] = "TIMFileElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: FileElemMsgContent = msgspec.field(name="MsgContent")


class VideoFileElemMsgContent(msgspec.Struct, kw_only=True, gc=False):
    """VideoFileElemMsgContent"""

    video_url: str | msgspec.UnsetType = msgspec.field(name="VideoUrl", default=msgspec.UNSET)
    """Download URL of the video (absent from old SDKs' messages)."""
    video_uuid: str = msgspec.field(name="VideoUUID")
    """Unique ID of the video."""
    video_size: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="VideoSize")
    """Video size, in bytes."""
    video_second: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="VideoSecond")
    """Duration, in seconds."""
    video_format: str = msgspec.field(name="VideoFormat")
    """Video format, such as `mp4`."""
    video_download_flag: DownloadFlag | msgspec.UnsetType = msgspec.field(
        name="VideoDownloadFlag", default=msgspec.UNSET
    )
    """Download flag; 2 means the resource downloads from its URL."""
    thumb_url: str | msgspec.UnsetType = msgspec.field(name="ThumbUrl", default=msgspec.UNSET)
    """Download URL of the thumbnail (absent from old SDKs' messages)."""
    thumb_uuid: str = msgspec.field(name="ThumbUUID")
    """Unique ID of the thumbnail."""
    thumb_size: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="ThumbSize")
    """Thumbnail size, in bytes."""
    thumb_width: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="ThumbWidth")
    """Thumbnail width, in pixels."""
    thumb_height: Annotated[int, msgspec.Meta(ge=0)] = msgspec.field(name="ThumbHeight")
    """Thumbnail height, in pixels."""
    thumb_format: str = msgspec.field(name="ThumbFormat")
    """Thumbnail format, such as `JPG`."""
    thumb_download_flag: DownloadFlag | msgspec.UnsetType = msgspec.field(
        name="ThumbDownloadFlag", default=msgspec.UNSET
    )
    """Download flag; 2 means the resource downloads from its URL."""


class VideoFileElem(msgspec.Struct, kw_only=True, gc=False, tag_field="MsgType", tag="TIMVideoFileElem"):
    """A video element. Messages from old SDKs omit the URLs and download flags."""

    msg_type: ClassVar[Literal["TIMVideoFileElem"]] = "TIMVideoFileElem"
    """The `MsgType` tag this struct is selected by (written first on the wire)."""
    msg_content: VideoFileElemMsgContent = msgspec.field(name="MsgContent")


class UnknownElem(msgspec.Struct, kw_only=True, gc=False):
    """An element of a type this contract does not describe; its content is kept as it came."""

    msg_type: Annotated[str, msgspec.Meta(min_length=1)] = msgspec.field(name="MsgType")
    msg_content: dict[str, Any] = msgspec.field(name="MsgContent")


if TYPE_CHECKING:
    MsgElement: TypeAlias = (
        TextElem | LocationElem | FaceElem | CustomElem | SoundElem | ImageElem | FileElem | VideoFileElem | UnknownElem
    )
    _KnownMsgElement: TypeAlias = MsgElement
else:
    _KnownMsgElement = (
        TextElem | LocationElem | FaceElem | CustomElem | SoundElem | ImageElem | FileElem | VideoFileElem
    )

    class MsgElement(metaclass=_OpenUnion):
        """Runtime marker of the open union `MsgElement` (a plain union for type checkers).

        msgspec cannot decode a tagged union with a catch-all member. The models annotate their
        fields with `_KnownMsgElement`, a native tagged union of the known members (one lookup on
        `MsgType`, no Python code); a body that holds a tag this contract does not know is
        decoded again by the tolerant twins, where this marker goes through `_dec_hook` and any
        unknown tag becomes `UnknownElem`. `isinstance(x, MsgElement)` checks every member class.
        """

        classes = (
            TextElem,
            LocationElem,
            FaceElem,
            CustomElem,
            SoundElem,
            ImageElem,
            FileElem,
            VideoFileElem,
            UnknownElem,
        )

    _OPEN_UNIONS[MsgElement] = (
        "MsgType",
        {
            "TIMTextElem": TextElem,
            "TIMLocationElem": LocationElem,
            "TIMFaceElem": FaceElem,
            "TIMCustomElem": CustomElem,
            "TIMSoundElem": SoundElem,
            "TIMImageElem": ImageElem,
            "TIMFileElem": FileElem,
            "TIMVideoFileElem": VideoFileElem,
        },
        UnknownElem,
    )


MsgBody: TypeAlias = Annotated[list[_KnownMsgElement], msgspec.Meta(min_length=1)]
"""The message body, a list of message elements (see the message format description, 1047/33527)."""


CloudCustomData: TypeAlias = str
"""Custom message data, stored in the cloud, sent to the peer and kept after the app is reinstalled.
Optional: only messages that carry custom data have it."""


class AfterSendMsg(
    msgspec.Struct, kw_only=True, gc=False, tag_field="CallbackCommand", tag="OfficialAccount.CallbackAfterSendMsg"
):
    """Sent after the Chat backend delivered an Official Account message to the subscribers (sent from
    a client or by REST API), for synchronising messages."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterSendMsg"]] = "OfficialAccount.CallbackAfterSendMsg"
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    msg_key: Annotated[str, msgspec.Meta(min_length=1)] = msgspec.field(name="MsgKey")
    """The unique identifier of this message, which can be used to revoke Official Account messages
    through the REST API."""
    msg_time: Annotated[int, msgspec.Meta(ge=0, le=9223372036854775807)] = msgspec.field(name="MsgTime")
    """Timestamp of the message on the server, in seconds (not milliseconds, unlike `EventTime`)."""
    online_only_flag: OnlineOnlyFlag = msgspec.field(name="OnlineOnlyFlag")
    """`1` if the message is an online-only message, otherwise `0`."""
    msg_body: MsgBody = msgspec.field(name="MsgBody")
    """The message body, a list of message elements (see the message format description, 1047/33527)."""
    cloud_custom_data: CloudCustomData | msgspec.UnsetType = msgspec.field(
        name="CloudCustomData", default=msgspec.UNSET
    )
    """Custom message data, stored in the cloud, sent to the peer and kept after the app is
    reinstalled. Optional: only messages that carry custom data have it."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class BeforeCreateOfficialAccount(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackBeforeCreateOfficialAccount",
):
    """Sent while the Chat backend is about to create an Official Account; only the app admin creates
    them, by REST API (`create_official_account`). The answer can let the creation go on
    (`ErrorCode` 0) or refuse it (1, or an app-defined code in [120001, 130000] that reaches the
    caller). If the answer fails or times out, the creation goes on: the vendor states its fail-open
    default only for messages, and the contract applies it to every "before" webhook. The body names
    neither the ID the admin asked for nor the other profile fields the create API accepts
    (`Introduction`, `FaceUrl`, `Organization`, `CustomString`, `MaxSubscriberNum`): the vendor's
    page has none of them. For an admin request `Operator_Account` holds the identity that called
    the API (the vendor's sample uses the owner's ID for both)."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackBeforeCreateOfficialAccount"]] = (
        "OfficialAccount.CallbackBeforeCreateOfficialAccount"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    operator_account: OperatorAccount = msgspec.field(name="Operator_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""
    owner_account: UserID = msgspec.field(name="Owner_Account")
    """The creator of the Official Account, who is also its owner."""
    name: OfficialAccountName = msgspec.field(name="Name")
    """Name of the Official Account (at most 150 bytes of UTF-8, a Chinese character being 3; the
    schema bounds characters)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""


class AfterCreateOfficialAccount(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackAfterCreateOfficialAccount",
):
    """Sent after the app admin created an Official Account by REST API, for synchronising data. It
    follows `CallbackBeforeCreateOfficialAccount` only when that answer allowed the creation (or
    failed): a refused creation creates nothing and announces nothing. The vendor's overview says
    accounts created "by users", but its only trigger is the admin REST API, which the contract
    follows; its table describes `Name` as the account "to be created", copied from the "before"
    page: here the account exists."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterCreateOfficialAccount"]] = (
        "OfficialAccount.CallbackAfterCreateOfficialAccount"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account that was created."""
    operator_account: OperatorAccount = msgspec.field(name="Operator_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""
    owner_account: UserID = msgspec.field(name="Owner_Account")
    """The creator of the Official Account, who is also its owner."""
    name: OfficialAccountName = msgspec.field(name="Name")
    """Name of the Official Account (at most 150 bytes of UTF-8, a Chinese character being 3; the
    schema bounds characters)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class AfterOfficialAccountInfoChanged(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackAfterOfficialAccountInfoChanged",
):
    """Sent after the app admin changed an Official Account's profile by REST API
    (`modify_official_account_base_info`), for logging or synchronising it. The vendor does not say
    whether fields the admin left alone are sent. The contract makes the four profile fields
    optional: a field that is present carries its new value (an empty string clears it), a field
    that is absent was not reported. A change to `CustomString` or `MaxSubscriberNum` alone has no
    field here; whether it fires the webhook is not documented. The vendor's table calls
    `Official_Account` the "Created Official Account ID", copied from the create page: it is the
    account that changed."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterOfficialAccountInfoChanged"]] = (
        "OfficialAccount.CallbackAfterOfficialAccountInfoChanged"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account whose profile changed."""
    operator_account: OperatorAccount = msgspec.field(name="Operator_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""
    introduction: Annotated[str, msgspec.Meta(max_length=400)] | msgspec.UnsetType = msgspec.field(
        name="Introduction", default=msgspec.UNSET
    )
    """The new introduction (at most 400 bytes of UTF-8; the schema bounds characters)."""
    name: OfficialAccountName | msgspec.UnsetType = msgspec.field(name="Name", default=msgspec.UNSET)
    """The new name (at most 150 bytes of UTF-8; the schema bounds characters)."""
    face_url: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType = msgspec.field(
        name="FaceUrl", default=msgspec.UNSET
    )
    """The new avatar URL (at most 500 bytes)."""
    organization: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType = msgspec.field(
        name="Organization", default=msgspec.UNSET
    )
    """The new organization (at most 500 bytes of UTF-8; the schema bounds characters)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class AfterAddSubscriber(
    msgspec.Struct,
    kw_only=True,
    gc=False,
    tag_field="CallbackCommand",
    tag="OfficialAccount.CallbackAfterAddSubscriber",
):
    """Sent after users subscribed to an Official Account (from a client, or the app admin adding
    subscribers by REST API), for synchronising data. Its body has the shape of
    `CallbackBeforeAddSubscriber`'s, which it follows: it fires only when that answer let the
    request through, and it lists only the users who were added: those the answer refused
    (`RefusedSubscribers_Account`) are left out, and when none is left it does not fire. The vendor
    does not say how users already subscribed or failed additions are reported; the contract leaves
    them out too."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterAddSubscriber"]] = (
        "OfficialAccount.CallbackAfterAddSubscriber"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    operator_account: OperatorAccount = msgspec.field(name="Operator_Account")
    """A Chat UserID (at most 32 bytes; the schema bounds characters)."""
    subscribe_account_list: SubscribeAccountList = msgspec.field(name="SubscribeAccountList")
    """The users concerned (at most 100 per request)."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class BeforeSendMsg(
    msgspec.Struct, kw_only=True, gc=False, tag_field="CallbackCommand", tag="OfficialAccount.CallbackBeforeSendMsg"
):
    """Sent before the Chat backend delivers an Official Account message to the subscribers (sent from
    a client or by REST API). The answer can deliver it (`ErrorCode` 0), deliver a changed one (0
    with a `MsgBody` and/or `CloudCustomData`, which replace the message's), block it (1: the sender
    gets error 10016), drop it silently (2: the sender is told it was sent) or block it with an app-
    defined code in [120001, 130000] that reaches the sender. The 2-second timeout cannot be changed
    for this webhook; on failure or timeout the message is delivered unchanged. The body identifies
    neither the sender nor the message (no `Operator_Account`, no `MsgKey` or `MsgTime`: the message
    has none yet). It is `CallbackAfterSendMsg`'s body without `MsgKey` and `MsgTime`."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackBeforeSendMsg"]] = (
        "OfficialAccount.CallbackBeforeSendMsg"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    online_only_flag: OnlineOnlyFlag = msgspec.field(name="OnlineOnlyFlag")
    """`1` if the message is an online-only message, otherwise `0`."""
    msg_body: MsgBody = msgspec.field(name="MsgBody")
    """The message body, a list of message elements (see the message format description, 1047/33527)."""
    cloud_custom_data: CloudCustomData | msgspec.UnsetType = msgspec.field(
        name="CloudCustomData", default=msgspec.UNSET
    )
    """Custom message data, stored in the cloud, sent to the peer and kept after the app is
    reinstalled. Optional: only messages that carry custom data have it."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class WithdrawnMsg(msgspec.Struct, kw_only=True, gc=False):
    """One recalled message."""

    msg_key: Annotated[str, msgspec.Meta(min_length=1)] = msgspec.field(name="MsgKey")
    """The unique identifier of the recalled message, as `CallbackAfterSendMsg` reported it."""


class AfterMsgWithDraw(
    msgspec.Struct, kw_only=True, gc=False, tag_field="CallbackCommand", tag="OfficialAccount.CallbackAfterMsgWithDraw"
):
    """Sent after Official Account messages were recalled (from a client, or by the app admin by REST
    API `official_account_msg_recall`). The command is spelled `...MsgWithDraw`, with a capital D,
    as on the vendor's page and in its SDK constants. The recall's `Reason`, operator and time are
    not carried."""

    callback_command: ClassVar[Literal["OfficialAccount.CallbackAfterMsgWithDraw"]] = (
        "OfficialAccount.CallbackAfterMsgWithDraw"
    )
    """The `CallbackCommand` tag this struct is selected by (written first on the wire)."""
    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    """The user ID of the Official Account. Every ID starts with `@TOA#_` (1047/60813); an ID the admin
    chooses is at most 48 bytes of printable ASCII, and the schema bounds 48 characters without
    narrowing to ASCII (the alphabet of system-assigned IDs is not documented). The vendor's recall
    sample writes `#TOA#_123`, without the `@`: a typo, which the contract does not accept."""
    withdraw_msg_list: Annotated[list[WithdrawnMsg], msgspec.Meta(min_length=1, max_length=10)] = msgspec.field(
        name="WithdrawMsgList"
    )
    """The recalled messages. The vendor's table does not describe the items; its sample shows
    `{"MsgKey": ...}`. At most 10: the recall API's limit per request (1047/60811), which the
    webhook page does not restate."""
    event_time: EventTime = msgspec.field(name="EventTime")
    """Event trigger timestamp in milliseconds."""

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


CallbackEvent: TypeAlias = (
    AfterOfficialAccountFull
    | AfterDeleteSubscriber
    | AfterOfficialAccountDestroyed
    | BeforeAddSubscriber
    | AfterSendMsg
    | BeforeCreateOfficialAccount
    | AfterCreateOfficialAccount
    | AfterOfficialAccountInfoChanged
    | AfterAddSubscriber
    | BeforeSendMsg
    | AfterMsgWithDraw
)
"""One webhook event, selected by `CallbackCommand`. Decoded in one lookup on `CallbackCommand`."""


ActionStatus: TypeAlias = Literal["OK", "FAIL"]
"""Result of processing the request: `OK` processed, `FAIL` failed."""


IgnoredErrorCode: TypeAlias = int
"""The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer is
ignored; any other code reads as an attempt to refuse what has already happened."""


ErrorInfo: TypeAlias = str
"""Error message."""


class AfterOfficialAccountFullResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterOfficialAccountFull`. The Chat backend ignores its
    result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class AfterDeleteSubscriberResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterDeleteSubscriber`. The Chat backend ignores its
    result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class AfterOfficialAccountDestroyedResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterOfficialAccountDestroyed`. The Chat backend ignores
    its result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class BeforeAddSubscriberResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackBeforeAddSubscriber`. The seed page's prose calls the
    refusal list `RefusedMembers_Account` (the name the group webhooks use), but its JSON sample and
    its field table both say `RefusedSubscribers_Account`; the field table is the contract, so this
    schema uses `RefusedSubscribers_Account`."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: int = msgspec.field(name="ErrorCode")
    """Error code; 0 lets the request through (possibly refusing some users), 1 rejects the whole
    request."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""
    refused_subscribers_account: Annotated[list[UserID], msgspec.Meta(max_length=100)] | msgspec.UnsetType = (
        msgspec.field(name="RefusedSubscribers_Account", default=msgspec.UNSET)
    )
    """The UserIDs refused subscription; each must be one of the request's subscribers."""


class AfterSendMsgResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterSendMsg`. The Chat backend ignores its result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class BeforeCreateOfficialAccountResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackBeforeCreateOfficialAccount`. The vendor's table says a
    code in [120001, 130000] denies "user group creation": the wording is copied from the group
    webhook; here it denies the Official Account's creation."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: int = msgspec.field(name="ErrorCode")
    """Error code: 0 allows the creation, 1 refuses it, a code in [120001, 130000] refuses it and is
    passed on to the caller with `ErrorInfo`."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class AfterCreateOfficialAccountResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterCreateOfficialAccount`. The Chat backend ignores its
    result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class AfterOfficialAccountInfoChangedResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterOfficialAccountInfoChanged`. The Chat backend
    ignores its result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class AfterAddSubscriberResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterAddSubscriber`. The Chat backend ignores its result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


class BeforeSendMsgResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackBeforeSendMsg`. With `ErrorCode` 0 the message is
    delivered, its `MsgBody` and `CloudCustomData` replaced by the answer's when the answer has them
    (each absent one keeps the sender's; `x-webhook.effects` of the event). The replacement must
    itself be a valid message body. With any other code a `MsgBody` or `CloudCustomData` in the
    answer is ignored. The vendor's response table (in its trtc.io copy) spells the failure status
    `FAILURE`; every other page, the five other pages of this batch included, says `FAIL`, which the
    contract keeps. The vendor states that a returned `CloudCustomData` is used only by placing it
    in its "change message content" sample; the contract reads it as a replacement like `MsgBody`."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: int = msgspec.field(name="ErrorCode")
    """Error code: 0 delivers the message (replaced by the answer's `MsgBody` and `CloudCustomData`, if
    any), 1 blocks it, 2 drops it silently, a code in [120001, 130000] blocks it and is passed on to
    the sender with `ErrorInfo`."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""
    msg_body: MsgBody | msgspec.UnsetType = msgspec.field(name="MsgBody", default=msgspec.UNSET)
    """The message to deliver instead of the sender's (used only with ErrorCode 0)."""
    cloud_custom_data: CloudCustomData | msgspec.UnsetType = msgspec.field(
        name="CloudCustomData", default=msgspec.UNSET
    )
    """The custom data to deliver instead of the sender's (used only with ErrorCode 0)."""


class AfterMsgWithDrawResponse(msgspec.Struct, kw_only=True, gc=False):
    """The answer to `OfficialAccount.CallbackAfterMsgWithDraw`. The Chat backend ignores its result."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    """Result of processing the request: `OK` processed, `FAIL` failed."""
    error_code: IgnoredErrorCode = msgspec.field(name="ErrorCode")
    """The error code of an "after" webhook's answer: the vendor defines only 0, which means the answer
    is ignored; any other code reads as an attempt to refuse what has already happened."""
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    """Error message."""


CallbackCommand: TypeAlias = Literal[
    "OfficialAccount.CallbackAfterOfficialAccountFull",
    "OfficialAccount.CallbackAfterDeleteSubscriber",
    "OfficialAccount.CallbackAfterOfficialAccountDestroyed",
    "OfficialAccount.CallbackBeforeAddSubscriber",
    "OfficialAccount.CallbackAfterSendMsg",
    "OfficialAccount.CallbackBeforeCreateOfficialAccount",
    "OfficialAccount.CallbackAfterCreateOfficialAccount",
    "OfficialAccount.CallbackAfterOfficialAccountInfoChanged",
    "OfficialAccount.CallbackAfterAddSubscriber",
    "OfficialAccount.CallbackBeforeSendMsg",
    "OfficialAccount.CallbackAfterMsgWithDraw",
]
"""The webhook command, naming the event."""


class ProblemErrorsItem(msgspec.Struct, kw_only=True, gc=False):
    """ProblemErrorsItem"""

    field: str = msgspec.field(name="field")
    reason: str = msgspec.field(name="reason")


class Problem(msgspec.Struct, kw_only=True, gc=False):
    """An RFC 7807 problem detail, naming the offending field where there is one."""

    type: str = msgspec.field(name="type", default="about:blank")
    """A URI reference that identifies the problem type."""
    title: str = msgspec.field(name="title")
    """A short summary of the problem type."""
    status: Annotated[int, msgspec.Meta(ge=400, le=599)] = msgspec.field(name="status")
    """The HTTP status code."""
    detail: str | msgspec.UnsetType = msgspec.field(name="detail", default=msgspec.UNSET)
    """What went wrong with this request."""
    instance: str | msgspec.UnsetType = msgspec.field(name="instance", default=msgspec.UNSET)
    """A URI reference for this occurrence."""
    field: str | msgspec.UnsetType = msgspec.field(name="field", default=msgspec.UNSET)
    """The offending field, as `query.NAME` or `body.PATH` (e.g.
    `body.SubscribeAccountList[2].Subscriber_Account`)."""
    errors: list[ProblemErrorsItem] | msgspec.UnsetType = msgspec.field(name="errors", default=msgspec.UNSET)
    """Every violation found, when there are several."""


_TolerantMsgBody: TypeAlias = Annotated[list[MsgElement], msgspec.Meta(min_length=1)]
"""`MsgBody` as the fallback decoder sees it."""


class _TolerantAfterSendMsg(
    msgspec.Struct, kw_only=True, gc=False, tag_field="CallbackCommand", tag="OfficialAccount.CallbackAfterSendMsg"
):
    """`AfterSendMsg` as the fallback decoder sees it: unknown tags of open unions become catch-alls."""

    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    msg_key: Annotated[str, msgspec.Meta(min_length=1)] = msgspec.field(name="MsgKey")
    msg_time: Annotated[int, msgspec.Meta(ge=0, le=9223372036854775807)] = msgspec.field(name="MsgTime")
    online_only_flag: OnlineOnlyFlag = msgspec.field(name="OnlineOnlyFlag")
    msg_body: _TolerantMsgBody = msgspec.field(name="MsgBody")
    cloud_custom_data: CloudCustomData | msgspec.UnsetType = msgspec.field(
        name="CloudCustomData", default=msgspec.UNSET
    )
    event_time: EventTime = msgspec.field(name="EventTime")

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


class _TolerantBeforeSendMsg(
    msgspec.Struct, kw_only=True, gc=False, tag_field="CallbackCommand", tag="OfficialAccount.CallbackBeforeSendMsg"
):
    """`BeforeSendMsg` as the fallback decoder sees it: unknown tags of open unions become catch-alls."""

    official_account: OfficialAccountID = msgspec.field(name="Official_Account")
    online_only_flag: OnlineOnlyFlag = msgspec.field(name="OnlineOnlyFlag")
    msg_body: _TolerantMsgBody = msgspec.field(name="MsgBody")
    cloud_custom_data: CloudCustomData | msgspec.UnsetType = msgspec.field(
        name="CloudCustomData", default=msgspec.UNSET
    )
    event_time: EventTime = msgspec.field(name="EventTime")

    def __post_init__(self) -> None:
        """Check the prefix patterns: a slice comparison costs a fraction of msgspec's per-call regex."""
        value = self.official_account
        # `Official_Account` must match the contract's pattern ^@TOA#_.+
        if len(value) <= 6 or value[:6] != "@TOA#_" or value[6] == "\n":
            raise _mismatch("^@TOA#_.+", "Official_Account")


_TolerantCallbackEvent: TypeAlias = (
    AfterOfficialAccountFull
    | AfterDeleteSubscriber
    | AfterOfficialAccountDestroyed
    | BeforeAddSubscriber
    | _TolerantAfterSendMsg
    | BeforeCreateOfficialAccount
    | AfterCreateOfficialAccount
    | AfterOfficialAccountInfoChanged
    | AfterAddSubscriber
    | _TolerantBeforeSendMsg
    | AfterMsgWithDraw
)
"""`CallbackEvent` as the fallback decoder sees it."""


class _TolerantBeforeSendMsgResponse(msgspec.Struct, kw_only=True, gc=False):
    """`BeforeSendMsgResponse` as the fallback decoder sees it: unknown tags of open unions become catch-alls."""

    action_status: ActionStatus = msgspec.field(name="ActionStatus")
    error_code: int = msgspec.field(name="ErrorCode")
    error_info: ErrorInfo = msgspec.field(name="ErrorInfo")
    msg_body: _TolerantMsgBody | msgspec.UnsetType = msgspec.field(name="MsgBody", default=msgspec.UNSET)
    cloud_custom_data: CloudCustomData | msgspec.UnsetType = msgspec.field(
        name="CloudCustomData", default=msgspec.UNSET
    )


AnyResponse: TypeAlias = (
    AfterOfficialAccountFullResponse
    | AfterDeleteSubscriberResponse
    | AfterOfficialAccountDestroyedResponse
    | BeforeAddSubscriberResponse
    | AfterSendMsgResponse
    | BeforeCreateOfficialAccountResponse
    | AfterCreateOfficialAccountResponse
    | AfterOfficialAccountInfoChangedResponse
    | AfterAddSubscriberResponse
    | BeforeSendMsgResponse
    | AfterMsgWithDrawResponse
)
"""Any webhook's answer (each webhook has its own response class)."""

CONTRACT_FINGERPRINT: Final = "9f99d8138a81f663a5a13e555cbac2e6c8251d1219101bd4e24586e9326efca7"
"""SHA-256 of the contract these models were generated from (canonical JSON of openapi.yaml)."""

EVENT_TYPES: Final[Mapping[str, type[CallbackEvent]]] = {
    "OfficialAccount.CallbackAfterOfficialAccountFull": AfterOfficialAccountFull,
    "OfficialAccount.CallbackAfterDeleteSubscriber": AfterDeleteSubscriber,
    "OfficialAccount.CallbackAfterOfficialAccountDestroyed": AfterOfficialAccountDestroyed,
    "OfficialAccount.CallbackBeforeAddSubscriber": BeforeAddSubscriber,
    "OfficialAccount.CallbackAfterSendMsg": AfterSendMsg,
    "OfficialAccount.CallbackBeforeCreateOfficialAccount": BeforeCreateOfficialAccount,
    "OfficialAccount.CallbackAfterCreateOfficialAccount": AfterCreateOfficialAccount,
    "OfficialAccount.CallbackAfterOfficialAccountInfoChanged": AfterOfficialAccountInfoChanged,
    "OfficialAccount.CallbackAfterAddSubscriber": AfterAddSubscriber,
    "OfficialAccount.CallbackBeforeSendMsg": BeforeSendMsg,
    "OfficialAccount.CallbackAfterMsgWithDraw": AfterMsgWithDraw,
}
"""Event class by `CallbackCommand`."""

RESPONSE_TYPES: Final[Mapping[type[CallbackEvent], type[AnyResponse]]] = {
    AfterOfficialAccountFull: AfterOfficialAccountFullResponse,
    AfterDeleteSubscriber: AfterDeleteSubscriberResponse,
    AfterOfficialAccountDestroyed: AfterOfficialAccountDestroyedResponse,
    BeforeAddSubscriber: BeforeAddSubscriberResponse,
    AfterSendMsg: AfterSendMsgResponse,
    BeforeCreateOfficialAccount: BeforeCreateOfficialAccountResponse,
    AfterCreateOfficialAccount: AfterCreateOfficialAccountResponse,
    AfterOfficialAccountInfoChanged: AfterOfficialAccountInfoChangedResponse,
    AfterAddSubscriber: AfterAddSubscriberResponse,
    BeforeSendMsg: BeforeSendMsgResponse,
    AfterMsgWithDraw: AfterMsgWithDrawResponse,
}
"""The one response class that answers each event class."""


class PayloadError(ValueError):
    """A body that is not JSON or does not match the contract, with the path of the offending field.

    `path` is msgspec's JSONPath-like location (``$.MsgBody[0].MsgContent.Text``); `field` is the
    same without the leading ``$.`` (empty for the whole document).
    """

    def __init__(self, reason: str, path: str = "$") -> None:
        super().__init__(f"{reason} - at `{path}`")
        self.reason = reason
        self.path = path

    @property
    def field(self) -> str:
        return self.path[2:] if self.path.startswith("$.") else self.path.removeprefix("$")


class UnknownCommandError(PayloadError):
    """A body whose `CallbackCommand` this package does not know; `known` lists those it does.

    A webhook enabled in the console after this package was generated arrives like this: a
    receiver may answer it with a plain acknowledgement instead of refusing it.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self.known: tuple[str, ...] = tuple(EVENT_TYPES)
        listed = ", ".join(self.known)
        super().__init__(f"unknown CallbackCommand {command!r}; this package knows {listed}", _TAG_PATH)


_TAG_PATH: Final = "$.CallbackCommand"


def _unknown_command(data: bytes | str, exc: msgspec.ValidationError) -> UnknownCommandError | None:
    """The error for a body refused because its command is not one of this package's, else None."""
    if not str(exc).endswith(f"- at `{_TAG_PATH}`"):
        return None
    try:
        document = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    command = cast("dict[str, object]", document).get("CallbackCommand") if isinstance(document, dict) else None
    if isinstance(command, str) and command not in EVENT_TYPES:
        return UnknownCommandError(command)
    return None


_AT = re.compile(r" - at `\$([^`]*)`")
_MISSING = re.compile(r"Object missing required field `([^`]+)`")


def _payload_error(exc: msgspec.ValidationError | msgspec.DecodeError) -> PayloadError:
    """Fold msgspec's message (nested ``- at`` suffixes from open unions) into one reason and path."""
    message = str(exc)
    parts = _AT.findall(message)
    reason = _AT.sub("", message)
    path = "$" + "".join(reversed(parts))
    missing = _MISSING.fullmatch(reason)
    if missing is not None:
        path += f".{missing.group(1)}"
    return PayloadError(reason, path)


_S = TypeVar("_S", bound=msgspec.Struct)


def _dec_hook(kind: type, value: Any) -> Any:
    """Decode a value of an open union: one lookup on its tag, the catch-all for unknown tags."""
    found = _OPEN_UNIONS.get(kind)
    if found is None:
        raise NotImplementedError(f"no decoder for {kind!r}")
    tag_field, known, catch_all = found
    tag = cast("dict[str, object]", value).get(tag_field) if isinstance(value, dict) else None
    target = known.get(tag, catch_all) if isinstance(tag, str) else catch_all
    try:
        return msgspec.convert(value, target)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None


_TOLERANT: Final[Mapping[object, object]] = {
    MsgBody: _TolerantMsgBody,
    AfterSendMsg: _TolerantAfterSendMsg,
    BeforeSendMsg: _TolerantBeforeSendMsg,
    CallbackEvent: _TolerantCallbackEvent,
    BeforeSendMsgResponse: _TolerantBeforeSendMsgResponse,
}
"""The tolerant twin of each type whose bodies may hold a tag an open union does not know."""

_PUBLIC: Final[Mapping[type, type[msgspec.Struct]]] = {
    _TolerantAfterSendMsg: AfterSendMsg,
    _TolerantBeforeSendMsg: BeforeSendMsg,
    _TolerantBeforeSendMsgResponse: BeforeSendMsgResponse,
}
"""The public class of each tolerant twin struct (decoded values never keep a twin's class)."""

_UNKNOWN_TAG = re.compile("(?s)Invalid value .* - at `\\$[^`]*\\.(?:MsgType)`")
"""msgspec's error for a tag its tagged union does not know, at an open union's tag field."""


def _public(value: object) -> object:
    """Rebuild a value decoded by a tolerant twin with the public classes (the fallback path only)."""
    cls = _PUBLIC.get(type(value))
    if cls is not None and isinstance(value, msgspec.Struct):
        fields: dict[str, Any] = {name: _public(getattr(value, name)) for name in value.__struct_fields__}
        return cls(**fields)
    if isinstance(value, list):
        return [_public(item) for item in cast("list[object]", value)]
    if isinstance(value, dict):
        return {key: _public(item) for key, item in cast("dict[object, object]", value).items()}
    return value


def _too_deep() -> PayloadError:
    """msgspec recurses once per nesting level; a body nested deeper than the stack is refused, not a crash."""
    return PayloadError("the JSON is nested too deeply")


def _retry(data: bytes | str, kind: object, exc: msgspec.ValidationError) -> Any:
    """After the fast decoder refused `data`: decode it again tolerating unknown tags, if that was the reason.

    Any other error is reported as the fast decoder saw it, so a broken known element keeps its
    precise path instead of a message about the catch-all.
    """
    twin = _TOLERANT.get(kind)
    if twin is None or _UNKNOWN_TAG.fullmatch(str(exc)) is None:
        raise _payload_error(exc) from None
    try:
        return _public(_decoder(twin).decode(data))
    except (msgspec.ValidationError, msgspec.DecodeError) as again:
        raise _payload_error(again) from None
    except RecursionError:
        raise _too_deep() from None


_DECODERS: dict[object, msgspec.json.Decoder[Any]] = {}
_ENCODER: Final = msgspec.json.Encoder()


def _decoder(kind: object) -> msgspec.json.Decoder[Any]:
    """One decoder per type, built on first use (building one compiles the type's validation)."""
    decoder = _DECODERS.get(kind)
    if decoder is None:
        decoder = _DECODERS[kind] = msgspec.json.Decoder(kind, dec_hook=_dec_hook)
    return decoder


_EVENT_DECODER: Final = _decoder(CallbackEvent)


def decode_event(data: bytes | str) -> CallbackEvent:
    """Decode and validate one webhook body; the event class is chosen by its `CallbackCommand`.

    A command this package does not know raises `UnknownCommandError` (a `PayloadError`).
    """
    try:
        event: CallbackEvent = _EVENT_DECODER.decode(data)
    except msgspec.ValidationError as exc:
        unknown = _unknown_command(data, exc)
        if unknown is not None:
            raise unknown from None
        event = _retry(data, CallbackEvent, exc)
    except msgspec.DecodeError as exc:
        raise _payload_error(exc) from None
    except RecursionError:
        raise _too_deep() from None
    return event


def decode(data: bytes | str, kind: type[_S]) -> _S:
    """Decode and validate `data` as `kind` (an event, a response, any struct of this module)."""
    try:
        value: _S = _decoder(kind).decode(data)
    except msgspec.ValidationError as exc:
        value = _retry(data, kind, exc)
    except msgspec.DecodeError as exc:
        raise _payload_error(exc) from None
    except RecursionError:
        raise _too_deep() from None
    return value


def encode(value: msgspec.Struct) -> bytes:
    """JSON bytes with the vendor's wire names; `UNSET` fields are left out."""
    return _ENCODER.encode(value)
