/* gst-v4l2-elastic
 *
 * Media controller discovery of stateless (and stateful) video decoders.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstv4l2media.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/media.h>

#include <gst/gst.h>
#include <gudev/gudev.h>

GST_DEBUG_CATEGORY_STATIC (gst_v4l2_elastic_media_debug);
#define GST_CAT_DEFAULT gst_v4l2_elastic_media_debug

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (gst_v4l2_elastic_media_debug, "v4l2elastic-media",
        0, "V4L2 media controller discovery");
    g_once_init_leave (&once, 1);
  }
}

typedef struct
{
  struct media_v2_topology topo;
  struct media_v2_entity *entities;
  struct media_v2_interface *interfaces;
  struct media_v2_pad *pads;
  struct media_v2_link *links;
} Topology;

static void
topology_clear (Topology *t)
{
  g_free (t->entities);
  g_free (t->interfaces);
  g_free (t->pads);
  g_free (t->links);
  memset (t, 0, sizeof (*t));
}

/* The topology can change between the call that sizes the arrays and the
 * one that fills them (a driver bound meanwhile); retry until the version
 * is stable. */
static gboolean
topology_read (gint fd, Topology *t, GError **error)
{
  guint attempt;
  gint err;

  for (attempt = 0; attempt < 4; attempt++) {
    guint64 version;

    topology_clear (t);
    if (ioctl (fd, MEDIA_IOC_G_TOPOLOGY, &t->topo) < 0)
      goto failed;

    version = t->topo.topology_version;
    t->entities = g_new0 (struct media_v2_entity, t->topo.num_entities);
    t->interfaces = g_new0 (struct media_v2_interface, t->topo.num_interfaces);
    t->pads = g_new0 (struct media_v2_pad, t->topo.num_pads);
    t->links = g_new0 (struct media_v2_link, t->topo.num_links);
    t->topo.ptr_entities = (guintptr) t->entities;
    t->topo.ptr_interfaces = (guintptr) t->interfaces;
    t->topo.ptr_pads = (guintptr) t->pads;
    t->topo.ptr_links = (guintptr) t->links;

    if (ioctl (fd, MEDIA_IOC_G_TOPOLOGY, &t->topo) < 0)
      goto failed;
    if (t->topo.topology_version == version)
      return TRUE;
  }

  g_set_error (
      error, G_IO_ERROR, G_IO_ERROR_BUSY, "media topology keeps changing");
  topology_clear (t);
  return FALSE;

failed:
  err = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
      "MEDIA_IOC_G_TOPOLOGY failed: %s", g_strerror (err));
  topology_clear (t);
  return FALSE;
}

static guint32
topology_pad_entity (const Topology *t, guint32 pad_id)
{
  guint i;

  for (i = 0; i < t->topo.num_pads; i++)
    if (t->pads[i].id == pad_id)
      return t->pads[i].entity_id;
  return 0;
}

static gboolean
topology_is_pad_of (const Topology *t, guint32 pad_id, guint32 entity_id)
{
  return pad_id != 0 && topology_pad_entity (t, pad_id) == entity_id;
}

/* Resolve a character device number to its node through sysfs (gudev
 * reads the uevent file; no udev daemon is needed). */
static gchar *
devnode_path (GUdevClient *client, guint32 major_nr, guint32 minor_nr)
{
  GUdevDevice *dev;
  gchar *path = NULL;

  dev = g_udev_client_query_by_device_number (
      client, G_UDEV_DEVICE_TYPE_CHAR, makedev (major_nr, minor_nr));
  if (dev) {
    path = g_strdup (g_udev_device_get_device_file (dev));
    g_object_unref (dev);
  }
  return path;
}

/* The link type bits of media_v2_link.flags.  The uAPI's
 * MEDIA_LNK_FL_LINK_TYPE is (0xf << 28), a shift into the sign bit of an
 * int (undefined behaviour, which UBSan reports), so the mask is spelled
 * out unsigned here. */
#define LINK_TYPE_MASK 0xf0000000u

/* The video interface of a decoder entity: the V4L video interface linked
 * to one of the I/O entities whose pads are data-linked to the decoder. */
static gchar *
find_video_node (GUdevClient *client, const Topology *t, guint32 entity_id)
{
  guint l, k, i;

  for (l = 0; l < t->topo.num_links; l++) {
    const struct media_v2_link *data = &t->links[l];
    guint32 io_entity;

    if ((data->flags & LINK_TYPE_MASK) != MEDIA_LNK_FL_DATA_LINK)
      continue;

    if (topology_is_pad_of (t, data->source_id, entity_id))
      io_entity = topology_pad_entity (t, data->sink_id);
    else if (topology_is_pad_of (t, data->sink_id, entity_id))
      io_entity = topology_pad_entity (t, data->source_id);
    else
      continue;

    for (k = 0; k < t->topo.num_links; k++) {
      const struct media_v2_link *il = &t->links[k];

      if ((il->flags & LINK_TYPE_MASK) != MEDIA_LNK_FL_INTERFACE_LINK ||
          il->sink_id != io_entity)
        continue;

      for (i = 0; i < t->topo.num_interfaces; i++) {
        const struct media_v2_interface *intf = &t->interfaces[i];

        if (intf->id == il->source_id &&
            intf->intf_type == MEDIA_INTF_T_V4L_VIDEO)
          return devnode_path (
              client, intf->devnode.major, intf->devnode.minor);
      }
    }
  }

  return NULL;
}

static GList *
find_decoders_in (GUdevClient *client, const gchar *media_path, GError **error)
{
  struct media_device_info info = { 0 };
  Topology t = { 0 };
  GList *nodes = NULL;
  guint e;
  gint fd;

  fd = open (media_path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    gint err = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "cannot open %s: %s", media_path, g_strerror (err));
    return NULL;
  }

  if (ioctl (fd, MEDIA_IOC_DEVICE_INFO, &info) < 0) {
    gint err = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
        "MEDIA_IOC_DEVICE_INFO on %s failed: %s", media_path, g_strerror (err));
    close (fd);
    return NULL;
  }

  if (!topology_read (fd, &t, error)) {
    close (fd);
    return NULL;
  }
  close (fd);

  for (e = 0; e < t.topo.num_entities; e++) {
    GstV4l2ElasticDecoderNode *node;
    gchar *video_path;

    if (t.entities[e].function != MEDIA_ENT_F_PROC_VIDEO_DECODER)
      continue;

    video_path = find_video_node (client, &t, t.entities[e].id);
    if (!video_path) {
      GST_DEBUG ("%s: decoder entity '%s' has no video interface", media_path,
          t.entities[e].name);
      continue;
    }

    node = g_new0 (GstV4l2ElasticDecoderNode, 1);
    node->media_path = g_strdup (media_path);
    node->video_path = video_path;
    node->driver = g_strndup (info.driver, sizeof (info.driver));
    node->model = g_strndup (info.model, sizeof (info.model));
    node->entity_name =
        g_strndup (t.entities[e].name, sizeof (t.entities[e].name));
    GST_DEBUG ("%s: decoder '%s' (%s) at %s", media_path, node->entity_name,
        node->driver, node->video_path);
    nodes = g_list_append (nodes, node);
  }

  topology_clear (&t);
  return nodes;
}

/**
 * gst_v4l2_elastic_media_find_decoders_in:
 * @media_path: a media controller node, e.g. "/dev/media0"
 * @error: return location for an error
 *
 * Returns: (transfer full): the decoder entities of that media device that
 * have a V4L2 video node, as #GstV4l2ElasticDecoderNode.
 */
GList *
gst_v4l2_elastic_media_find_decoders_in (
    const gchar *media_path, GError **error)
{
  GUdevClient *client;
  GList *nodes;

  ensure_debug_category ();
  client = g_udev_client_new (NULL);
  nodes = find_decoders_in (client, media_path, error);
  g_object_unref (client);
  return nodes;
}

static gint
compare_device_file (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (g_udev_device_get_device_file ((GUdevDevice *) a),
      g_udev_device_get_device_file ((GUdevDevice *) b));
}

/**
 * gst_v4l2_elastic_media_find_decoders:
 *
 * Walks every media controller device of the "media" subsystem.  Devices
 * that cannot be opened or read are logged and skipped.
 *
 * Returns: (transfer full): all decoders found, ordered by media node.
 */
GList *
gst_v4l2_elastic_media_find_decoders (void)
{
  GUdevClient *client;
  GList *devices, *l, *nodes = NULL;

  ensure_debug_category ();
  client = g_udev_client_new (NULL);
  devices = g_udev_client_query_by_subsystem (client, "media");
  devices = g_list_sort (devices, compare_device_file);

  for (l = devices; l; l = l->next) {
    const gchar *path = g_udev_device_get_device_file (l->data);
    GError *error = NULL;

    if (!path)
      continue;
    nodes = g_list_concat (nodes, find_decoders_in (client, path, &error));
    if (error) {
      GST_WARNING ("skipping %s: %s", path, error->message);
      g_clear_error (&error);
    }
  }

  g_list_free_full (devices, g_object_unref);
  g_object_unref (client);
  return nodes;
}

void
gst_v4l2_elastic_decoder_node_free (GstV4l2ElasticDecoderNode *node)
{
  if (!node)
    return;
  g_free (node->media_path);
  g_free (node->video_path);
  g_free (node->driver);
  g_free (node->model);
  g_free (node->entity_name);
  g_free (node);
}

void
gst_v4l2_elastic_decoder_node_list_free (GList *nodes)
{
  g_list_free_full (nodes, (GDestroyNotify) gst_v4l2_elastic_decoder_node_free);
}
