/** A square in source pixels, after EXIF orientation (browsers decode images upright, as the worker does). */
export interface Crop {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Smallest square a person can zoom in to, in source pixels. */
const MIN_SIDE = 32;

/**
 * A square selection over the picture: the canvas is the avatar, the person drags the picture under it and zooms.
 * Everything is kept in source pixels, so the crop sent to the API needs no conversion.
 */
export class Cropper {
  private image?: ImageBitmap;
  /** Side of the selected square and its top-left corner, in source pixels. */
  private side = 0;
  private x = 0;
  private y = 0;
  private drag?: { pointerX: number; pointerY: number; x: number; y: number };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly zoom: HTMLInputElement,
  ) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = canvas.height = Math.round(canvas.clientWidth * ratio) || canvas.width;
    canvas.addEventListener('pointerdown', (event) => this.startDrag(event));
    canvas.addEventListener('pointermove', (event) => this.moveDrag(event));
    canvas.addEventListener('pointerup', () => this.endDrag());
    canvas.addEventListener('pointercancel', () => this.endDrag());
    canvas.addEventListener('wheel', (event) => {
      event.preventDefault();
      this.setZoom(Number(zoom.value) * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
    });
    zoom.addEventListener('input', () => this.setZoom(Number(zoom.value)));
  }

  /** Shows a picture with the largest centred square selected. */
  load(image: ImageBitmap): void {
    this.image?.close();
    this.image = image;
    const shortEdge = Math.min(image.width, image.height);
    this.zoom.max = String(Math.max(1, shortEdge / MIN_SIDE));
    this.zoom.value = '1';
    this.side = shortEdge;
    this.x = (image.width - shortEdge) / 2;
    this.y = (image.height - shortEdge) / 2;
    this.draw();
  }

  get crop(): Crop | undefined {
    if (!this.image) return undefined;
    const width = Math.max(1, Math.min(Math.round(this.side), this.image.width, this.image.height));
    return {
      x: clamp(Math.round(this.x), 0, this.image.width - width),
      y: clamp(Math.round(this.y), 0, this.image.height - width),
      width,
      height: width,
    };
  }

  clear(): void {
    this.image?.close();
    this.image = undefined;
  }

  /** Zooms around the centre of the current selection. */
  private setZoom(value: number): void {
    if (!this.image) return;
    const zoom = clamp(value, 1, Number(this.zoom.max));
    this.zoom.value = String(zoom);
    const centreX = this.x + this.side / 2;
    const centreY = this.y + this.side / 2;
    this.side = Math.min(this.image.width, this.image.height) / zoom;
    this.moveTo(centreX - this.side / 2, centreY - this.side / 2);
  }

  private startDrag(event: PointerEvent): void {
    if (!this.image) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.canvas.classList.add('dragging');
    this.drag = { pointerX: event.clientX, pointerY: event.clientY, x: this.x, y: this.y };
  }

  private moveDrag(event: PointerEvent): void {
    if (!this.drag) return;
    // Dragging moves the picture, so the selection moves the other way, scaled from screen to source pixels.
    const sourcePerScreenPixel = this.side / this.canvas.clientWidth;
    this.moveTo(
      this.drag.x - (event.clientX - this.drag.pointerX) * sourcePerScreenPixel,
      this.drag.y - (event.clientY - this.drag.pointerY) * sourcePerScreenPixel,
    );
  }

  private endDrag(): void {
    this.drag = undefined;
    this.canvas.classList.remove('dragging');
  }

  private moveTo(x: number, y: number): void {
    if (!this.image) return;
    this.x = clamp(x, 0, this.image.width - this.side);
    this.y = clamp(y, 0, this.image.height - this.side);
    this.draw();
  }

  private draw(): void {
    const context = this.canvas.getContext('2d')!;
    const edge = this.canvas.width;
    context.clearRect(0, 0, edge, edge);
    if (!this.image) return;
    context.imageSmoothingQuality = 'high';
    context.drawImage(this.image, this.x, this.y, this.side, this.side, 0, 0, edge, edge);
    // The avatar is usually shown round: shade what a circle would hide, as a guide.
    context.save();
    context.fillStyle = 'rgba(0, 0, 0, 0.35)';
    context.beginPath();
    context.rect(0, 0, edge, edge);
    context.arc(edge / 2, edge / 2, edge / 2, 0, Math.PI * 2, true);
    context.fill();
    context.restore();
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
